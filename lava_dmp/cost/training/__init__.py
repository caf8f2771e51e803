"""Training cost on an RRAM in-memory accelerator (PipeSDFA vs PipeLayer-style BPTT)."""
