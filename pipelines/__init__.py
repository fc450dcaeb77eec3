"""Record every fetch with its bytes, assemble reports and versions, record portal outcomes."""
