"""Monocular facial depth models trained on facedepth data.

- ``models.archs``      networks by ``--arch`` name (``unet-simple``, DenseDepth variants)
- ``models.data``       PyTorch dataset over a ``synth generate`` directory
- ``models.losses``     L1 + SSIM + Sobel-gradient + surface-normal loss
- ``models.metrics``    AbsRel, SqRel, RMSE, RMSElog, log10, δ1–3 (whole frame, face region)
- ``models.train.train``, ``models.evaluate.evaluate``, ``models.predict.predict``,
  ``models.export.export_onnx``: what the ``models`` command line calls

Importing this package loads nothing heavy; of ``synth`` only ``synth.spec`` and
``synth.exr_io`` (numpy + OpenEXR) are used.
"""

__version__ = "0.3.0"
