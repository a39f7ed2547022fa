package server

import (
	"errors"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// errNoStorage answers collection routes while no storage is open.
var errNoStorage = wrapMsg(errUnavailable, "Service unavailable: storage is not open")

// collectionRoutes registers the collection, alias, index and point routes.
func (s *Server) collectionRoutes() {
	s.add(http.MethodGet, "/collections", accessRead, s.listCollections)
	s.add(http.MethodGet, "/collections/:name", accessRead, s.getCollection)
	s.add(http.MethodPut, "/collections/:name", accessWrite, s.createCollection)
	s.add(http.MethodPatch, "/collections/:name", accessWrite, s.updateCollection)
	s.add(http.MethodDelete, "/collections/:name", accessWrite, s.deleteCollection)
	s.add(http.MethodGet, "/collections/:name/exists", accessRead, s.collectionExists)
	s.add(http.MethodGet, DiskPath, accessRead, s.getCollectionDisk)
	s.add(http.MethodGet, "/issues", accessRead, s.getIssues)
	s.add(http.MethodDelete, "/issues", accessWrite, s.clearIssues)
	s.add(http.MethodPost, "/collections/aliases", accessWrite, s.updateAliases)
	s.add(http.MethodGet, "/aliases", accessRead, s.listAliases)
	s.add(http.MethodGet, "/collections/:name/aliases", accessRead, s.collectionAliases)
	s.add(http.MethodPut, "/collections/:name/index", accessWrite, s.createIndex)
	s.add(http.MethodDelete, "/collections/:name/index/:field", accessWrite, s.deleteIndex)
	s.pointRoutes()
}

// storage returns the engine or errNoStorage.
func (s *Server) storage() (*engine.Storage, error) {
	if s.eng == nil {
		return nil, errNoStorage
	}
	return s.eng, nil
}

// collection resolves the :name parameter (a collection or an alias).
func (s *Server) collection(c echo.Context) (*engine.Collection, error) {
	st, err := s.storage()
	if err != nil {
		return nil, err
	}
	return st.Collection(c.Param("name"))
}

type collectionDescription struct {
	Name string `json:"name"`
}

type collectionsList struct {
	Collections []collectionDescription `json:"collections"`
}

func (s *Server) listCollections(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	names := st.ListCollections()
	out := collectionsList{Collections: make([]collectionDescription, len(names))}
	for i, n := range names {
		out.Collections[i].Name = n
	}
	return ok(c, out)
}

func (s *Server) getCollection(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	info, err := st.CollectionInfo(c.Param("name"))
	if err != nil {
		return err
	}
	info.Warnings = append(info.Warnings, s.backupWarnings(st, c.Param("name"))...)
	return ok(c, info)
}

type issuesReport struct {
	Issues []engine.Issue `json:"issues"`
}

// getIssues answers GET /issues: the problems the engine found (the
// collections that failed to open), then the stale backups.
func (s *Server) getIssues(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	return ok(c, issuesReport{Issues: append(st.Issues(), s.backupIssues()...)})
}

// clearIssues answers DELETE /issues.
func (s *Server) clearIssues(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	st.ClearIssues()
	if s.backup != nil {
		s.backup.ClearIssues()
	}
	return ok(c, true)
}

func (s *Server) createCollection(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var req engine.CreateCollection
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	if err := engine.CheckCreateCollection(body); err != nil {
		return err
	}
	if err := st.CreateCollection(c.Param("name"), req); err != nil {
		return err
	}
	return ok(c, true)
}

func (s *Server) updateCollection(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var req engine.CollectionUpdate
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	if err := engine.CheckCollectionUpdate(body); err != nil {
		return err
	}
	if err := st.UpdateCollection(c.Param("name"), req); err != nil {
		return err
	}
	return ok(c, true)
}

func (s *Server) deleteCollection(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	deleted, err := st.DeleteCollection(c.Param("name"))
	if err != nil {
		return err
	}
	return ok(c, deleted)
}

type existence struct {
	Exists bool `json:"exists"`
}

func (s *Server) collectionExists(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	return ok(c, existence{Exists: st.CollectionExists(c.Param("name"))})
}

type aliasesRequest struct {
	Actions []engine.AliasOp `json:"actions"`
}

type aliasesList struct {
	Aliases []engine.AliasDescription `json:"aliases"`
}

func (s *Server) updateAliases(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	var req aliasesRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	for i, a := range req.Actions {
		if n := btoi(a.CreateAlias != nil) + btoi(a.DeleteAlias != nil) + btoi(a.RenameAlias != nil); n != 1 {
			return badJSON(&fieldError{Field: "actions[" + itoa(i) + "]", Msg: "expected exactly one of create_alias, delete_alias, rename_alias"})
		}
	}
	if err := st.UpdateAliases(req.Actions); err != nil {
		return err
	}
	return ok(c, true)
}

func (s *Server) listAliases(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	return ok(c, aliasesList{Aliases: nonNil(st.ListAliases())})
}

func (s *Server) collectionAliases(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	al, err := st.CollectionAliases(c.Param("name"))
	if err != nil {
		return err
	}
	return ok(c, aliasesList{Aliases: nonNil(al)})
}

type createIndexRequest struct {
	FieldName   string               `json:"field_name"`
	FieldSchema *payload.FieldSchema `json:"field_schema"`
}

func (s *Server) createIndex(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	wait, err := waitParam(c)
	if err != nil {
		return err
	}
	var req createIndexRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if req.FieldName == "" {
		return badJSON(&fieldError{Field: "field_name", Msg: "missing field"})
	}
	if req.FieldSchema == nil {
		return badJSON(&fieldError{Field: "field_schema", Msg: "missing field: Cairn cannot infer the type of an index"})
	}
	res, err := col.CreateFieldIndex(c.Request().Context(), req.FieldName, *req.FieldSchema, wait)
	if err != nil {
		return err
	}
	return ok(c, res)
}

func (s *Server) deleteIndex(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	wait, err := waitParam(c)
	if err != nil {
		return err
	}
	res, err := col.DeleteFieldIndex(c.Request().Context(), c.Param("field"), wait)
	if err != nil {
		return err
	}
	return ok(c, res)
}

// collectionCount returns the number of collections (0 without storage).
func (s *Server) collectionCount() int {
	if s.eng == nil {
		return 0
	}
	return len(s.eng.ListCollections())
}

// collectionStats returns the per-collection gauges for /metrics.
func (s *Server) collectionStats() []collectionStat {
	if s.eng == nil {
		return nil
	}
	names := s.eng.ListCollections()
	sort.Strings(names)
	out := make([]collectionStat, 0, len(names))
	for _, n := range names {
		col, err := s.eng.Collection(n)
		if errors.Is(err, engine.ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			continue
		}
		info := col.Info()
		out = append(out, collectionStat{name: n, points: info.PointsCount, segments: info.SegmentsCount, indexed: info.IndexedVectorsCount})
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
