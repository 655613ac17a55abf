"""Controllers: one per area of the window, each owning its actions, dialogs and service calls.

The window lays out widgets and wires their signals here; a controller does the work and
announces what changed on the ``Workspace`` it shares with the others (``dataChanged``).
"""
