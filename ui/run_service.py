"""The pages' handle on the run service (aae_core/training/runs.py): the one service of this
server process. Every policy (owners, the queue, the limits, where runs train) is there."""

from aae_core.training.runs import RunService

#: The one run service of this server process (the Train page's runs).
SERVICE = RunService()
