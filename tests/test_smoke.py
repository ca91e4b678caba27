def test_schema_and_docs_are_served(client, reviewer):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/articles/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from the installed package, never a CDN.
    assert b"cdn.jsdelivr" not in docs.content
