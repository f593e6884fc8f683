"""Frozen copies of appliance/signals/ as they were before the stream's speed work: the
reference for equivalence (see reference_stream.py). Do not edit."""
