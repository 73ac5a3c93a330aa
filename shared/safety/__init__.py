"""Crisis detection, text normalisation, the output guard, redaction and pseudonyms."""
