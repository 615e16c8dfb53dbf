"""Sample application forms: the official blank form and filled-in examples
used by the demo and the tests."""
