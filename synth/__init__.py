"""facedepth synth: seed + config -> synthetic face RGB/depth dataset.

Importing ``synth`` loads no heavy backend (bpy, pyrender, torch); they load when chosen.
"""

__version__ = "0.11.1"
