"""Readers that turn stored records into the frames the scoring engine reads.

They take a bare connection and check no permissions: the services and the Store that call
them decide who may read what.
"""
