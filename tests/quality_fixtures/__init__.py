"""A hand-made warehouse on which every expectation passes, and helpers to break it."""
