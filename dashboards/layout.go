package dashboards

// layoutHTML is every page's frame: navigation, the filter bar (a GET form,
// so the filters live in the URL), then each section with its chart or
// table and the links to its rows.
const layoutHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · handoff</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/handoff.css">
<script src="/assets/echarts.min.js"></script>
<script src="/assets/handoff.js"></script>
</head><body>
<header>
  <a class="brand" href="/">handoff</a>
  <nav>{{range nav}}<a href="{{.Path}}"{{if selected .Path $.Path}} aria-current="page"{{end}}>{{.Title}}</a>{{end}}</nav>
  <button class="theme" type="button" title="Switch between the light and dark theme">◐ Theme</button>
</header>
<p id="computing" class="computing" role="status" hidden>Computing… the first look at a view of a large lake takes a few seconds; after that it is instant.</p>
<main>
<h1>{{.Title}}</h1>
<p class="status">{{.Status}}</p>
{{if not .NoFilters}}<form class="filters" method="get" action="{{.Path}}">
  {{if .Form.Since}}<label>Replay from <input type="date" name="since" value="{{first .Query "since"}}"></label>{{else}}
  <label>From <input type="date" name="from" value="{{first .Query "from"}}"></label>
  <label>To <input type="date" name="to" value="{{first .Query "to"}}"></label>
  <label>Time zone <input name="tz" placeholder="UTC" value="{{first .Query "tz"}}" size="14"></label>{{end}}
  {{if .Form.Capacity}}<label>Capacity a day <input name="capacity" placeholder="users'" value="{{first .Query "capacity"}}" size="6"></label>
  <label>Breach ceiling <input name="max_breach" placeholder="none" value="{{first .Query "max_breach"}}" size="5" title="the first-touch breach share the recommended threshold must keep within, e.g. 30%"></label>{{end}}
  {{if .Form.Outcomes}}<label>Outcome <select name="outcome">{{$o := first .Query "outcome"}}{{if not $o}}{{$o = "sql"}}{{end}}
    {{range .Form.Outcomes}}<option{{if selected $o .}} selected{{end}}>{{.}}</option>{{end}}
  </select></label>{{end}}
  {{if .Form.Window}}<label>Window <input name="window" placeholder="90d" value="{{first .Query "window"}}" size="5"></label>{{end}}
  {{if .Form.Grain}}<label>Period <select name="grain">{{$g := first .Query "grain"}}
    <option value=""{{if selected $g ""}} selected{{end}}>month</option>
    <option value="week"{{if selected $g "week"}} selected{{end}}>week</option>
    <option value="quarter"{{if selected $g "quarter"}} selected{{end}}>quarter</option>
    <option value="day"{{if selected $g "day"}} selected{{end}}>day</option>
  </select></label>{{end}}
  {{if .Form.Clock}}<label>Clock <select name="clock">{{$c := first .Query "clock"}}
    <option value=""{{if selected $c ""}} selected{{end}}>calendar</option>
    <option value="business"{{if selected $c "business"}} selected{{end}}>working hours</option>
  </select></label>{{end}}
  {{if .Form.What}}<label>List <select name="what">{{$w := first .Query "what"}}
    {{range .Form.What}}<option{{if selected $w .}} selected{{end}}>{{.}}</option>{{end}}
  </select></label>{{end}}
  {{if .Form.By}}<label>Break down by <select name="by">{{$b := first .Query "by"}}{{if not $b}}{{$b = .Form.DefaultBy}}{{end}}
    {{if not .Form.DefaultBy}}<option value=""{{if selected $b ""}} selected{{end}}>nothing</option>{{end}}
    {{range .Form.By}}<option{{if selected $b .}} selected{{end}}>{{.}}</option>{{end}}
  </select></label>{{end}}
  {{range $dim := .Form.Filters}}<label>{{$dim}} <input name="{{$dim}}" value="{{first $.Query $dim}}" size="10" list="choices-{{$dim}}" autocomplete="off"></label>
  {{with index $.Choices $dim}}<datalist id="choices-{{$dim}}">{{range .}}<option value="{{.}}">{{end}}</datalist>{{end}}{{end}}
  <button type="submit">Apply</button> <a class="reset" href="{{.Path}}">Reset</a>
</form>{{end}}
{{range $sec := .Sections}}
<section>
  <h2>{{.Title}}</h2>
  {{if .Note}}<p class="note">{{.Note}}</p>{{end}}
  {{range .Lines}}<p class="{{if $sec.Alert}}alert{{else}}line{{end}}">{{.}}</p>{{end}}
  {{if .Empty}}<p class="empty">{{.Empty}}</p>{{else}}
  {{with .Tiles}}<div class="tiles">{{range .}}<a class="tile"{{if .Href}} href="{{.Href}}"{{end}}>
    <span class="label">{{.Label}}</span><span class="value">{{.Value}}</span>
    {{if .Change}}<span class="change {{.Tone}}">{{.Change}}</span>{{end}}
    {{if .Detail}}<span class="detail">{{.Detail}}</span>{{end}}{{.Spark}}</a>{{end}}</div>{{end}}
  {{with .Chart}}<div class="chart"><div class="item" id="{{.ID}}" style="height:{{.Height}}"></div>
  <script type="application/json" class="chart-option">{{.Option}}</script></div>{{end}}
  {{with .Table}}{{$t := .}}{{$order := order $sec}}<div class="table-wrap"><table>
    <thead><tr>{{range $order}}{{$c := index $t.Columns .}}<th{{if numeric $c}} class="num"{{end}}>{{$c.Name}}</th>{{end}}</tr></thead>
    <tbody>{{range $row := .Rows}}<tr>{{range $i := $order}}{{$c := index $t.Columns $i}}{{$v := index $row $i}}{{$ci := interval $sec $c.Name $row}}<td{{with tdClass $c $v $ci}} class="{{.}}"{{end}}>{{with link $sec $c.Name $row}}<a href="{{.}}">{{cell $c $v}}</a>{{else}}{{cell $c $v}}{{end}}{{with $ci}}<span class="ci" title="95% interval (Wilson) over {{.N}}{{if .Few}}: too few to read as a finding{{end}}">{{.Text}}</span>{{end}}</td>{{end}}</tr>{{end}}</tbody>
  </table></div>{{end}}
  {{end}}
  {{with .Upload}}<form class="upload" method="post" action="{{.Action}}" enctype="multipart/form-data">
    <label>Export files <input type="file" name="files" multiple required accept=".csv,.tsv,.txt,.xlsx,.xlsm,.parquet,.ndjson,.jsonl,text/csv"></label>
    <label>Format <select name="source">{{range .Sources}}<option>{{.}}</option>{{end}}</select></label>
    <button type="submit">Ingest</button>
    <span class="sending-note">Ingesting… large exports take a while; this page answers when the lake has them.</span>
  </form>{{end}}
  {{if .Download}}<p class="downloads">The whole file: <a href="{{.Download}}">CSV</a></p>{{end}}
  {{if .Report}}<p class="downloads">Rows behind this: <a href="{{apiURL .Report .Query "csv"}}">CSV</a> · <a href="{{apiURL .Report .Query "parquet"}}">Parquet</a> · <a href="{{apiURL .Report .Query ""}}">JSON</a></p>{{end}}
</section>
{{end}}
</main>
</body></html>
`
