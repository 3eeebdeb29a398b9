"""The checkpoint store: a checkpoint folder on disk (safetensors + JSON, validated on load)
and the catalog of the shipped checkpoints and the user's runs. Imports only the base rooms.
"""
