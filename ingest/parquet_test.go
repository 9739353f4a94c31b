package ingest

import (
	"database/sql"
	"path/filepath"
	"testing"
)

func init() {
	generatedInputs["airbyte-parquet"] = writeAirbyteParquet
}

// writeAirbyteParquet writes, with DuckDB, the typed Parquet files Airbyte's
// Destinations V2 leave in a bucket: Salesforce Lead under its API names
// (with Airbyte's _airbyte_ columns), and HubSpot's contacts, owners,
// engagements_calls and deals streams, properties as properties_ columns and
// associations as a list column. The expected rows are in testdata/ingest/cases/airbyte-parquet.
func writeAirbyteParquet(t *testing.T, dir string) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{
		`SET TimeZone = 'UTC'`,
		`COPY (SELECT * FROM (VALUES
			('00Q5g00000Ab001EAB', false, 'Acme', 'United States', 'ana@acme.com', 'Web', 'Open - Not Contacted', 250::BIGINT, '0055g00000Ab001AAB', false, NULL, NULL, TIMESTAMPTZ '2024-02-05 09:15:00+00', TIMESTAMPTZ '2024-02-06 10:00:00+00'),
			('00Q5g00000Ab002EAB', false, 'Beta', 'Canada', 'ben@beta.io', 'Webinar', 'Closed - Converted', NULL, '0055g00000Ab002AAB', true, '0035g00000Ab002AAB', '0065g00000Ab002AAB', TIMESTAMPTZ '2024-02-06 11:00:00+00', TIMESTAMPTZ '2024-02-20 16:00:00+00'),
			('00Q5g00000Ab003EAB', true, 'Gamma', 'Singapore', 'cy@gamma.sg', 'Web', 'Open - Not Contacted', 80::BIGINT, '0055g00000Ab001AAB', false, NULL, NULL, TIMESTAMPTZ '2024-02-07 08:30:00+00', TIMESTAMPTZ '2024-02-08 08:30:00+00')
		) AS t("Id", "IsDeleted", "Company", "Country", "Email", "LeadSource", "Status", "NumberOfEmployees", "OwnerId", "IsConverted",
		       "ConvertedContactId", "ConvertedOpportunityId", "CreatedDate", "LastModifiedDate"),
		LATERAL (SELECT gen_random_uuid()::VARCHAR AS _airbyte_raw_id, TIMESTAMPTZ '2024-03-01 00:00:00+00' AS _airbyte_extracted_at, '{"changes":[]}' AS _airbyte_meta))
		TO '` + filepath.Join(dir, "lead.parquet") + `' (FORMAT parquet)`,
		`COPY (SELECT * FROM (VALUES
			('701', TIMESTAMPTZ '2024-02-05 09:15:00+00', TIMESTAMPTZ '2024-02-06 10:00:00+00', false, 'eva@example.de', TIMESTAMPTZ '2024-02-05 09:15:00+00', 'lead', 'ORGANIC_SEARCH', '1,000+', 'Germany', '301', TIMESTAMPTZ '2024-02-06 10:00:00+00', TIMESTAMPTZ '2024-02-05 09:15:00+00'),
			('702', TIMESTAMPTZ '2024-02-06 09:00:00+00', TIMESTAMPTZ '2024-02-09 10:00:00+00', true, 'old@example.com', TIMESTAMPTZ '2024-02-06 09:00:00+00', 'lead', 'DIRECT_TRAFFIC', NULL, 'France', '301', TIMESTAMPTZ '2024-02-09 10:00:00+00', NULL),
			('703', TIMESTAMPTZ '2024-02-07 09:00:00+00', TIMESTAMPTZ '2024-02-07 09:00:00+00', false, 'kai@example.com', NULL, 'lead', 'PAID_SEARCH', '12', 'Canada', '302', NULL, NULL)
		) AS t("id", "createdAt", "updatedAt", "archived", "properties_email", "properties_createdate", "properties_lifecyclestage",
		       "properties_hs_analytics_source", "properties_numemployees", "properties_country", "properties_hubspot_owner_id",
		       "properties_lastmodifieddate", "properties_hs_lifecyclestage_lead_date"))
		TO '` + filepath.Join(dir, "contacts.parquet") + `' (FORMAT parquet)`,
		`COPY (SELECT * FROM (VALUES
			('301', 'Rita', 'Rep', 9001::BIGINT, 'rita@handoff-demo.com', false)
		) AS t("id", "firstName", "lastName", "userId", "email", "archived"))
		TO '` + filepath.Join(dir, "owners.parquet") + `' (FORMAT parquet)`,
		`COPY (SELECT * FROM (VALUES
			('801', TIMESTAMPTZ '2024-02-06 09:40:00+00', 'Intro call', 'COMPLETED', '301', ['701', '799'], false),
			('802', TIMESTAMPTZ '2024-02-07 09:00:00+00', 'No answer', 'COMPLETED', '301', []::VARCHAR[], false)
		) AS t("id", "properties_hs_timestamp", "properties_hs_call_title", "properties_hs_call_status", "properties_hubspot_owner_id", "contacts", "archived"))
		TO '` + filepath.Join(dir, "engagements_calls.parquet") + `' (FORMAT parquet)`,
		`COPY (SELECT * FROM (VALUES
			('901', 'Eva deal', 'closedwon', TIMESTAMPTZ '2024-02-10 10:00:00+00', TIMESTAMPTZ '2024-03-04 12:00:00+00', 12000.50::DECIMAL(12,2), true, true, ['701'], false)
		) AS t("id", "properties_dealname", "properties_dealstage", "properties_createdate", "properties_closedate", "properties_amount",
		       "properties_hs_is_closed", "properties_hs_is_closed_won", "contacts", "archived"))
		TO '` + filepath.Join(dir, "deals.parquet") + `' (FORMAT parquet)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
}
