"""Generators of mlcheck's sample submissions (v0.5 and v0.7 layouts), made with the real LoadGen.

Modules, by concern:

- ``sut``: the tiny NumPy system under test (answers looked up in a response table).
- ``runner``: one LoadGen test per Python process, and the files a submission keeps of it.
- ``tree``: writing the submission tree (text, JSON, the file names LoadGen writes).
- ``imagenet``: the synthetic ImageNet label map, the classifier's answers, top-1 scoring.
- ``v05text``: LoadGen 6.x MLLOG logs converted to the v0.5 text log format.
- ``verify``: what the compliance (audit) verify scripts print, computed from the shipped logs.
- ``v05``: the v0.5 sample (``inference_v0.5``).
- ``cli``: the command line (``reference_logs/generate.py``).
"""
