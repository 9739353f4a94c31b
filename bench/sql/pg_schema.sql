-- pg_schema: the lake's tables that the funnel and speed-to-lead metrics
-- read, as a PostgreSQL warehouse would hold them. Column names and order
-- follow lake/schema.go; the benchmark loads them with COPY and then runs
-- pg_indexes.sql. Only the five tables the compared metrics read are made.
CREATE TABLE leads (
    lead_id      text PRIMARY KEY,
    created_at   timestamptz NOT NULL,
    email_domain text,
    company      text,
    country      text,
    region       text,
    industry     text,
    company_size bigint,
    company_size_text text,
    title        text,
    source       text,
    campaign     text,
    owner_id     text,
    updated_at   timestamptz,
    email        text,
    name         text,
    phone        text
);

CREATE TABLE stage_changes (
    lead_id    text NOT NULL,
    stage      text NOT NULL,
    changed_at timestamptz NOT NULL,
    actor_id   text
);

CREATE TABLE activities (
    activity_id text NOT NULL,
    lead_id     text NOT NULL,
    occurred_at timestamptz NOT NULL,
    kind        text NOT NULL,
    actor_id    text,
    actor_role  text,
    channel     text,
    detail      text
);

CREATE TABLE assignments (
    lead_id     text NOT NULL,
    owner_id    text NOT NULL,
    assigned_at timestamptz NOT NULL,
    rule        text,
    reason      text
);

CREATE TABLE users (
    user_id       text PRIMARY KEY,
    name          text,
    team          text,
    role          text,
    region        text,
    timezone      text,
    working_hours text,
    capacity      bigint,
    active        boolean
);
