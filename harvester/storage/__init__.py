"""Storage with provenance: database models, migrations plumbing, content-addressed blobs."""
