"""One action model: plans that are shown, re-checked, audited and run."""
