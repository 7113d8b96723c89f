"""``python -m scine_eval`` is the ``scine-eval`` command."""

from scine_eval.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
