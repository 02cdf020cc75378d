"""Reading conflict-event datasets (ACLED, UCDP GED, column-mapped CSV) into plain records."""
