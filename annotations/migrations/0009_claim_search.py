"""Claim search on PostgreSQL (annotations.search): the `unaccent` extension, a tsvector column
`annotations_claim.search_vector` kept by triggers, and its GIN index. Not a Django field: the
column is written only by the triggers and read only by the search. Nothing on SQLite (the
embedded default searches folded text with LIKE).

The claim trigger recomputes the vector when a claim is inserted or its words change (quote,
summary, claimant, tags, article); the article trigger, when an article's title changes, sets
its claims' vectors to NULL, which makes the claim trigger recompute them.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

FORWARD = r"""
ALTER TABLE annotations_claim ADD COLUMN search_vector tsvector;

CREATE FUNCTION annotations_tags_text(tags jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(tags) = 'array'
    THEN (SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(tags))
    ELSE coalesce(tags::text, '') END
$$;

CREATE FUNCTION annotations_claim_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.search_vector IS NOT NULL
     AND NEW.exact IS NOT DISTINCT FROM OLD.exact
     AND NEW.summary IS NOT DISTINCT FROM OLD.summary
     AND NEW.claimant IS NOT DISTINCT FROM OLD.claimant
     AND NEW.tags IS NOT DISTINCT FROM OLD.tags
     AND NEW.article_id IS NOT DISTINCT FROM OLD.article_id THEN
    RETURN NEW;
  END IF;
  NEW.search_vector :=
       setweight(to_tsvector('simple', unaccent(coalesce(NEW.exact, ''))), 'A')
    || setweight(to_tsvector('simple', unaccent(coalesce(NEW.summary, ''))), 'B')
    || setweight(to_tsvector('simple', unaccent(coalesce(NEW.claimant, ''))), 'C')
    || setweight(to_tsvector('simple', unaccent(
         coalesce(annotations_tags_text(NEW.tags), '') || ' ' ||
         coalesce((SELECT title FROM annotations_article WHERE id = NEW.article_id), '')
       )), 'D');
  RETURN NEW;
END
$$;

CREATE TRIGGER annotations_claim_search
BEFORE INSERT OR UPDATE OF exact, summary, claimant, tags, article_id, search_vector
ON annotations_claim
FOR EACH ROW EXECUTE FUNCTION annotations_claim_search_vector();

CREATE FUNCTION annotations_article_title_search() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE annotations_claim SET search_vector = NULL WHERE article_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER annotations_article_title_search
AFTER UPDATE OF title ON annotations_article
FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
EXECUTE FUNCTION annotations_article_title_search();

UPDATE annotations_claim SET search_vector = NULL;

CREATE INDEX claim_search ON annotations_claim USING gin (search_vector);
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS annotations_article_title_search ON annotations_article;
DROP FUNCTION IF EXISTS annotations_article_title_search();
DROP TRIGGER IF EXISTS annotations_claim_search ON annotations_claim;
DROP FUNCTION IF EXISTS annotations_claim_search_vector();
DROP FUNCTION IF EXISTS annotations_tags_text(jsonb);
DROP INDEX IF EXISTS claim_search;
ALTER TABLE annotations_claim DROP COLUMN IF EXISTS search_vector;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0008_stale_flags_and_indexes"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(forward, backward, elidable=False),
    ]
