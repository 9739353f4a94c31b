package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Scopes a token can carry.
const (
	ScopeReports = "reports:read" // the reports API and its downloads
	ScopeFeed    = "feed:read"    // scores, routing decisions, explanations
	ScopeRules   = "rules:manage" // changing the rules the server uses
	ScopeLake    = "lake:read"    // SQL over the lake's tables and reports (Flight SQL)
	// ScopeLakeWrite adds to the lake: the data page's upload.
	ScopeLakeWrite = "lake:write"
)

// Scopes are every scope, for help text and checks.
var Scopes = []string{ScopeReports, ScopeFeed, ScopeRules, ScopeLake, ScopeLakeWrite}

// Token is one API token as stored: its secret only as a SHA-256 hash.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	Hash      string     `json:"sha256"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// ErrNoToken: the token store has no token by that id.
var ErrNoToken = errors.New("no such token")

// tokenPrefix marks handoff's tokens, so a leaked one is recognisable.
const tokenPrefix = "hnd_"

// tokenFile is where a lake keeps its tokens: beside the data, readable by
// the owner only.
func tokenFile(lakeDir string) string { return filepath.Join(lakeDir, "access", "tokens.json") }

// CreateToken makes a token with the scopes for the lake and returns its
// record and its secret, which is shown once and stored nowhere.
func CreateToken(lakeDir, name string, scopes []string) (Token, string, error) {
	if len(scopes) == 0 {
		return Token{}, "", fmt.Errorf("a token needs at least one scope: %s", strings.Join(Scopes, ", "))
	}
	for _, s := range scopes {
		if !slices.Contains(Scopes, s) {
			return Token{}, "", fmt.Errorf("unknown scope %q: want %s", s, strings.Join(Scopes, ", "))
		}
	}
	secret := make([]byte, 20)
	idBytes := make([]byte, 5)
	if _, err := rand.Read(secret); err != nil {
		return Token{}, "", err
	}
	if _, err := rand.Read(idBytes); err != nil {
		return Token{}, "", err
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	plain := tokenPrefix + strings.ToLower(enc.EncodeToString(secret))
	t := Token{ID: "tok_" + strings.ToLower(enc.EncodeToString(idBytes)), Name: name, Scopes: slices.Clone(scopes),
		Hash: hashToken(plain), CreatedAt: time.Now().UTC()}
	tokens, err := ReadTokens(lakeDir)
	if err != nil {
		return Token{}, "", err
	}
	return t, plain, writeTokens(lakeDir, append(tokens, t))
}

// RevokeToken marks a token revoked; it is refused from then on.
func RevokeToken(lakeDir, id string) error {
	tokens, err := ReadTokens(lakeDir)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(tokens, func(t Token) bool { return t.ID == id })
	if i < 0 {
		return fmt.Errorf("%w %q", ErrNoToken, id)
	}
	if tokens[i].RevokedAt == nil {
		now := time.Now().UTC()
		tokens[i].RevokedAt = &now
	}
	return writeTokens(lakeDir, tokens)
}

// ReadTokens lists the lake's tokens; none when there is no store yet.
func ReadTokens(lakeDir string) ([]Token, error) {
	raw, err := os.ReadFile(tokenFile(lakeDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	var tokens []Token
	if err := json.Unmarshal(raw, &tokens); err != nil {
		return nil, fmt.Errorf("read tokens %s: %w", tokenFile(lakeDir), err)
	}
	return tokens, nil
}

func writeTokens(lakeDir string, tokens []Token) error {
	path := tokenFile(lakeDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write tokens: %w", err)
	}
	raw, err := json.MarshalIndent(tokens, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tokens-*")
	if err != nil {
		return fmt.Errorf("write tokens: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("write tokens: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write tokens: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write tokens: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// tokenStore reads the lake's tokens again when the file changes, so a
// token created or revoked while the server runs counts at once.
type tokenStore struct {
	dir     string
	mu      sync.Mutex
	modTime time.Time
	size    int64
	tokens  []Token
}

// check finds the token a request presented and says whether it may use
// scope ("" for any): the token's record, or why not.
func (ts *tokenStore) check(plain, scope string) (Token, error) {
	if plain == "" {
		return Token{}, errors.New("this needs a token: send Authorization: Bearer hnd_… (create one with handoff token create)")
	}
	tokens, err := ts.load()
	if err != nil {
		return Token{}, err
	}
	want := hashToken(plain)
	var found *Token
	for i := range tokens {
		if subtle.ConstantTimeCompare([]byte(tokens[i].Hash), []byte(want)) == 1 {
			found = &tokens[i]
		}
	}
	switch {
	case found == nil:
		return Token{}, errors.New("the token is not one of this server's")
	case found.RevokedAt != nil:
		return *found, fmt.Errorf("token %s was revoked on %s", found.ID, found.RevokedAt.Format(time.DateOnly))
	case scope != "" && !slices.Contains(found.Scopes, scope):
		return *found, fmt.Errorf("token %s lacks the scope %s (it has %s)", found.ID, scope, strings.Join(found.Scopes, ", "))
	}
	return *found, nil
}

func (ts *tokenStore) load() ([]Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	st, err := os.Stat(tokenFile(ts.dir))
	if errors.Is(err, os.ErrNotExist) {
		ts.tokens, ts.modTime, ts.size = nil, time.Time{}, 0
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.ModTime().Equal(ts.modTime) || st.Size() != ts.size {
		tokens, err := ReadTokens(ts.dir)
		if err != nil {
			return nil, err
		}
		ts.tokens, ts.modTime, ts.size = tokens, st.ModTime(), st.Size()
	}
	return ts.tokens, nil
}
