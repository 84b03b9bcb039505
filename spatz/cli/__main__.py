from spatz.cli.main import app

app()
