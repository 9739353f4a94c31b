package routing

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/handoff-dev/handoff/scoring"
)

// CRMFormats are the import formats WriteCRM writes.
var CRMFormats = []string{"hubspot", "salesforce"}

// CRMUpdate is one lead's owner and score as a CRM import takes them.
type CRMUpdate struct {
	LeadID   string
	OwnerID  string
	Score    scoring.ScoreRow
	Decision string // the routing audit behind the owner, "" when unchanged
}

// WriteCRM writes updates as a CSV a CRM imports to update existing
// records, by their own ids (handoff keeps the source system's lead ids):
//   - hubspot: a contacts import keyed on "Record ID", with "Contact owner"
//     (the owner's HubSpot user id) and the properties handoff_score,
//     handoff_fit, handoff_engagement, handoff_quadrant and handoff_mql
//     (create them once as custom contact properties);
//   - salesforce: a Data Loader update of Lead keyed on "Id", with OwnerId
//     and the custom fields Handoff_Score__c, Handoff_Fit__c,
//     Handoff_Engagement__c, Handoff_Quadrant__c, Handoff_MQL__c.
func WriteCRM(w io.Writer, format string, updates []CRMUpdate) error {
	var header []string
	switch format {
	case "hubspot":
		header = []string{"Record ID", "Contact owner", "handoff_score", "handoff_fit", "handoff_engagement", "handoff_quadrant", "handoff_mql"}
	case "salesforce":
		header = []string{"Id", "OwnerId", "Handoff_Score__c", "Handoff_Fit__c", "Handoff_Engagement__c", "Handoff_Quadrant__c", "Handoff_MQL__c"}
	default:
		return fmt.Errorf("CRM format %q: want hubspot or salesforce", format)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for _, u := range updates {
		mql := strconv.FormatBool(u.Score.MQL)
		if format == "salesforce" {
			mql = map[bool]string{true: "TRUE", false: "FALSE"}[u.Score.MQL]
		}
		if err := cw.Write([]string{u.LeadID, u.OwnerID, f(u.Score.Total), f(u.Score.Fit), f(u.Score.Engagement), u.Score.Quadrant, mql}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
