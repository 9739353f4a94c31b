package reports

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// ErrNoLead: the lake holds no lead with the id asked for.
var ErrNoLead = errors.New("no such lead")

// timelineLimit bounds each kind of event in a context packet: the last
// ten touches tell the story; the lake keeps the rest.
const timelineLimit = 10

// LeadContext is what sales needs at the handoff, for one lead: who it is,
// where it came from, what it did, who owned it, and the SLA clocks on it
// (the context packet). The score with its explanation is added by whoever
// holds the scoring rules.
type LeadContext struct {
	AsOf time.Time `json:"as_of"`
	Lead LeadFacts `json:"lead"`
	// Engagement is marketing's side, newest first: pages, content,
	// e-mails, forms, events; SalesTouches are calls, e-mails, meetings.
	Engagement   []Event `json:"engagement"`
	SalesTouches []Event `json:"sales_touches"`
	// Owners is the owner history: every assignment, newest first.
	Owners       []Event `json:"owner_history"`
	Stages       []Event `json:"stages"`
	Dispositions []Event `json:"dispositions"`
	// SLAClocks are the lead's instances of each configured SLA, running
	// ones with the minutes left.
	SLAClocks []SLAClock `json:"sla_clocks"`
}

// LeadFacts is the lead itself.
type LeadFacts struct {
	LeadID      string     `col:"lead_id" json:"lead_id"`
	Company     *string    `col:"company" json:"company"`
	EmailDomain *string    `col:"email_domain" json:"email_domain"`
	Title       *string    `col:"title" json:"title"`
	Industry    *string    `col:"industry" json:"industry"`
	CompanySize *int64     `col:"company_size" json:"company_size"`
	Segment     string     `col:"segment" json:"segment"`
	Country     *string    `col:"country" json:"country"`
	Region      *string    `col:"region" json:"region"`
	CreatedAt   time.Time  `col:"created_at" json:"created_at"`
	Source      string     `col:"source" json:"source"`
	Campaign    string     `col:"campaign" json:"campaign"`
	OwnerID     *string    `col:"owner_id" json:"owner_id"`
	Owner       string     `col:"owner" json:"owner"`
	Team        string     `col:"team" json:"team"`
	Stage       *string    `col:"stage" json:"stage"`
	StageSince  *time.Time `col:"stage_since" json:"stage_since"`
	MQLAt       *time.Time `col:"mql_at" json:"mql_at"`
}

// Event is one thing that happened to the lead.
type Event struct {
	At     time.Time `col:"at" json:"at"`
	Kind   string    `col:"kind" json:"kind"`
	What   string    `col:"what" json:"what"`
	Detail *string   `col:"detail" json:"detail,omitempty"`
	Role   *string   `col:"role" json:"role,omitempty"`
	Actor  *string   `col:"actor" json:"actor,omitempty"`
}

// SLAClock is one instance of an SLA on the lead.
type SLAClock struct {
	SLA            string     `col:"sla" json:"sla"`
	OwnerID        *string    `col:"owner_id" json:"owner_id"`
	Owner          string     `col:"owner" json:"owner"`
	StartedAt      time.Time  `col:"started_at" json:"started_at"`
	StoppedAt      *time.Time `col:"stopped_at" json:"stopped_at"`
	Status         string     `col:"status" json:"status"`
	LimitMinutes   float64    `col:"limit_minutes" json:"limit_minutes"`
	ElapsedMinutes float64    `col:"elapsed_minutes" json:"elapsed_minutes"`
	LeftMinutes    *float64   `col:"left_minutes" json:"left_minutes"`
}

// ContextOf gathers the context packet of one lead as of asOf (zero: the
// lake's latest event). ErrNoLead when the lake does not know the lead.
func ContextOf(ctx context.Context, l *lake.Lake, leadID string, asOf time.Time, cfg Config) (LeadContext, error) {
	if err := prepareModels(ctx, l); err != nil {
		return LeadContext{}, err
	}
	if asOf.IsZero() {
		latest, err := LatestEvent(ctx, l)
		if err != nil {
			return LeadContext{}, err
		}
		asOf = latest
	}
	args := map[string]any{"as_of": asOf.UTC(), "lead_id": leadID, "limit": int64(timelineLimit)}
	facts, err := models.QueryAll[LeadFacts](ctx, l, "lead_context", args)
	if err != nil {
		return LeadContext{}, err
	}
	if len(facts) == 0 {
		return LeadContext{}, fmt.Errorf("%w: %q", ErrNoLead, leadID)
	}
	out := LeadContext{AsOf: asOf.UTC(), Lead: facts[0]}
	events, err := models.QueryAll[Event](ctx, l, "lead_timeline", args)
	if err != nil {
		return LeadContext{}, err
	}
	for _, e := range events {
		switch {
		case e.Kind == "stage":
			out.Stages = append(out.Stages, e)
		case e.Kind == "assignment":
			out.Owners = append(out.Owners, e)
		case e.Kind == "disposition":
			out.Dispositions = append(out.Dispositions, e)
		case e.Role != nil && *e.Role == "sales":
			out.SalesTouches = append(out.SalesTouches, e)
		default:
			out.Engagement = append(out.Engagement, e)
		}
	}
	for _, s := range cfg.SLAs {
		slaArgs, err := s.slaArgs()
		if err != nil {
			return LeadContext{}, fmt.Errorf("sla %s: %w", s.Name, err)
		}
		for k, v := range args {
			slaArgs[k] = v
		}
		clocks, err := models.QueryAll[SLAClock](ctx, l, "lead_sla_clocks", slaArgs)
		if err != nil {
			return LeadContext{}, fmt.Errorf("sla %s: %w", s.Name, err)
		}
		out.SLAClocks = append(out.SLAClocks, clocks...)
	}
	return out, nil
}
