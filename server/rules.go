package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/routing"
	"github.com/handoff-dev/handoff/scoring"
)

// ruleSet is the rules a server works with, swapped whole when they change.
type ruleSet struct {
	Scoring *scoring.Rules
	File    *scoring.File
	Raw     []byte
	// Version counts changes, so cached pages and scores built on older
	// rules are not served.
	Version int64
}

// currentRules is the rule set in force; its fields are nil without rules.
func (s *Server) currentRules() *ruleSet { return s.rules.Load() }

// maxRulesSize bounds a rules upload.
const maxRulesSize = 1 << 20

// putRules is PUT /api/v1/rules: a new rules file, checked whole (scoring,
// routing against the lake's users, SLA timers) before it replaces the one
// in force, and written to the server's --rules file when it has one. A
// file with a mistake changes nothing and the answer names its line.
func (s *Server) putRules(c *gin.Context) error {
	raw, err := io.ReadAll(io.LimitReader(c.Request.Body, maxRulesSize+1))
	if err != nil {
		return httpError(http.StatusBadRequest, "the rules could not be read: "+err.Error())
	}
	if len(raw) > maxRulesSize {
		return httpError(http.StatusRequestEntityTooLarge, "a rules file is at most 1 MiB")
	}
	name := "rules.yaml"
	if s.opts.RulesPath != "" {
		name = filepath.Base(s.opts.RulesPath)
	}
	next, err := s.checkRules(c, name, raw)
	if err != nil {
		return httpError(http.StatusUnprocessableEntity, err.Error())
	}
	if s.opts.RulesPath != "" {
		if err := writeRulesFile(s.opts.RulesPath, raw); err != nil {
			return err
		}
	}
	s.rulesMu.Lock()
	next.Version = s.currentRules().Version + 1
	s.rules.Store(next)
	s.rulesMu.Unlock()
	s.log.Info("rules replaced", "version", next.Version, "bytes", len(raw))
	c.JSON(http.StatusOK, gin.H{"version": next.Version, "saved_to": s.opts.RulesPath})
	return nil
}

// checkRules reads every section of a rules file the way the server will
// use it.
func (s *Server) checkRules(c *gin.Context, name string, raw []byte) (*ruleSet, error) {
	ctx := c.Request.Context()
	file, err := scoring.ParseFile(name, raw)
	if err != nil {
		return nil, err
	}
	var kinds []string
	var users []routing.Rep
	if h, err := s.lakes.Acquire(ctx); err == nil {
		defer s.lakes.Release(h)
		if kinds, err = scoring.LakeKinds(ctx, h.Lake); err != nil {
			return nil, err
		}
		if users, err = routing.Users(ctx, h.Lake); err != nil {
			return nil, err
		}
	}
	rules, err := scoring.ParseRules(name, raw, kinds)
	if err != nil {
		return nil, err
	}
	if _, err := routing.ParseTimers(file); err != nil {
		return nil, err
	}
	var section struct{}
	if found, _ := file.Decode("$.routing", &section); found && users != nil {
		if _, err := routing.ParseConfig(file, users); err != nil {
			return nil, err
		}
	}
	return &ruleSet{Scoring: &rules, File: file, Raw: raw}, nil
}

// getRules is GET /api/v1/rules: the rules file in force.
func (s *Server) getRules(c *gin.Context) error {
	rs := s.currentRules()
	if rs.Raw == nil {
		return httpError(http.StatusNotFound, "this server has no rules: start it with --rules rules.yaml, or PUT some here")
	}
	c.Header("X-Rules-Version", fmt.Sprint(rs.Version))
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", rs.Raw)
	return nil
}

func writeRulesFile(path string, raw []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("save rules: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}
