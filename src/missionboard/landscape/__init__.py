"""The landscape beyond the portfolio: whole public corpora (OpenAlex, CORDIS, IATI, other funders' grants)
mapped to missions with the same classifier as ``classify``, in-process or on Apache Spark."""
