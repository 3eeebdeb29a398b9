"""Training: the loop and its background run, the per-step path, the device's run limit and
training on a Ray cluster. Imports the base rooms and store/ (a run saves checkpoints), never
analysis/ pages or the command line.
"""
