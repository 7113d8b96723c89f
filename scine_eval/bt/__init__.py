"""The fine-tuned judge: a LoRA-adapted Qwen2.5-VL with a linear head trained on preference pairs.

Imported lazily (it needs torch and peft); the ``bt`` judge and ``scine-eval train-judge`` load it.
"""
