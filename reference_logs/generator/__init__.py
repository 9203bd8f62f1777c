"""Generators of mlcheck's sample submissions (v0.5 and v0.7 layouts), made with the real LoadGen.

Modules, by concern:

- ``sut``: the tiny NumPy system under test (answers looked up in a response table).
- ``runner``: one LoadGen test per Python process, and the files a submission keeps of it.
- ``tree``: writing the submission tree (text, JSON, the file names LoadGen writes).
- ``imagenet``, ``coco``, ``squad``: ground truth in the real formats, the SUT's answers,
  and each benchmark's reference scoring (top-1, COCO mAP, SQuAD v1.1 EM / F1).
- ``v05text``: LoadGen 6.x MLLOG logs converted to the v0.5 text log format.
- ``verify``: what the v0.5 and v0.7 compliance verify scripts print, computed from the shipped logs.
- ``conf``: mlperf.conf / user.conf / audit.config as the v0.7 LoadGen applied them.
- ``truncate``: accuracy logs truncated as the v0.7 truncation tool does it.
- ``v05``, ``v07``: the two samples (``inference_v0.5``, ``inference_v0.7``).
- ``cli``: the command line (``reference_logs/generate.py``).
"""
