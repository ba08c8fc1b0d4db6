"""The run stage: data, compile, fit, callbacks and the run directory."""
