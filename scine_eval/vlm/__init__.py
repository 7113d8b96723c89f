"""Vision-language-model machinery shared by the VLM judges: input spec, rubric, positions, prefix reuse."""
