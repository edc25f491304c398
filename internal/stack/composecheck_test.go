package stack

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dpskmigrate/dpskmigrate/internal/metrics"
	"github.com/dpskmigrate/dpskmigrate/worker"
)

// The checks below read docker-compose.yml and the Dockerfile the way Docker
// would, without a Docker engine: each returns the problems it finds.

// nonrootUID is the distroless nonroot user the images run as.
const nonrootUID = "65532"

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build struct {
		Target string `yaml:"target"`
	} `yaml:"build"`
	Environment     envMap   `yaml:"environment"`
	Ports           []any    `yaml:"ports"`
	Volumes         []any    `yaml:"volumes"`
	NetworkMode     string   `yaml:"network_mode"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	Profiles        []string `yaml:"profiles"`
	Entrypoint      any      `yaml:"entrypoint"`
	Command         any      `yaml:"command"`
	Healthcheck     struct {
		Test any `yaml:"test"`
	} `yaml:"healthcheck"`
}

// envMap is a service's environment in either compose form (map, merge keys
// included, or a list of KEY=value).
type envMap map[string]string

func (e *envMap) UnmarshalYAML(n *yaml.Node) error {
	m := map[string]string{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
	} else if err := n.Decode(&m); err != nil {
		return err
	}
	*e = m
	return nil
}

func parseCompose(text string) (composeFile, error) {
	var c composeFile
	err := yaml.Unmarshal([]byte(text), &c)
	return c, err
}

// profiles lists the profiles the file uses, sorted.
func (c composeFile) profiles() []string {
	var out []string
	for _, s := range c.Services {
		for _, p := range s.Profiles {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (c composeFile) serviceNames() []string {
	var names []string
	for n := range c.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// composeProblems checks that the stack is reachable from this host only, runs
// the Temporal versions we test against, shares the export store between the
// trigger and the worker, and gives the worker time to stop gracefully.
func composeProblems(c composeFile) []string {
	var p []string
	var sawServer, sawUI bool
	for _, name := range c.serviceNames() {
		s := c.Services[name]
		if s.NetworkMode == "host" {
			p = append(p, name+": network_mode host publishes every port on every interface")
		}
		for _, port := range s.Ports {
			if msg := portProblem(port); msg != "" {
				p = append(p, fmt.Sprintf("%s: port %v %s", name, port, msg))
			}
		}
		for _, field := range []any{s.Healthcheck.Test, s.Command, s.Entrypoint} {
			if usesTctl(field) {
				p = append(p, name+": uses tctl (end of support); use the temporal CLI or a TCP check")
			}
		}
		repo, tag, _ := strings.Cut(s.Image, ":")
		switch repo {
		case "temporalio/auto-setup":
			p = append(p, name+": temporalio/auto-setup is deprecated; set up the schema with temporalio/admin-tools and run temporalio/server")
		case "temporalio/server":
			sawServer = true
			if tag != TemporalServerVersion {
				p = append(p, fmt.Sprintf("%s: temporalio/server:%s, but the pinned CLI embeds server %s", name, tag, TemporalServerVersion))
			}
		case "temporalio/admin-tools":
			if tag != TemporalServerVersion && !strings.HasPrefix(tag, TemporalServerVersion+"-") {
				p = append(p, fmt.Sprintf("%s: temporalio/admin-tools:%s is not for server %s", name, tag, TemporalServerVersion))
			}
		case "temporalio/ui":
			sawUI = true
			if tag != TemporalUIVersion {
				p = append(p, fmt.Sprintf("%s: temporalio/ui:%s, but the pinned CLI embeds ui-server %s", name, tag, TemporalUIVersion))
			}
		}
	}
	if !sawServer || !sawUI {
		p = append(p, "no temporalio/server or temporalio/ui service")
	}
	p = append(p, exportProblems(c)...)
	return append(p, stopProblems(c)...)
}

// portProblem says why a published port is reachable from other hosts.
func portProblem(port any) string {
	switch v := port.(type) {
	case string:
		spec, _, _ := strings.Cut(v, "/")
		parts := strings.Split(spec, ":")
		if len(parts) != 3 || parts[0] != "127.0.0.1" {
			return "is published on every interface: use 127.0.0.1:<host>:<container>"
		}
	case map[string]any:
		if v["host_ip"] != "127.0.0.1" {
			return "is published on every interface: set host_ip: 127.0.0.1"
		}
	default:
		return "is published on every interface: use 127.0.0.1:<host>:<container>"
	}
	return ""
}

var tctlCommand = regexp.MustCompile(`(^|[\s"'/;|&(])tctl(\s|$)`)

func usesTctl(field any) bool {
	switch v := field.(type) {
	case string:
		return tctlCommand.MatchString(v)
	case []any:
		for _, x := range v {
			if usesTctl(x) {
				return true
			}
		}
	}
	return false
}

// exportProblems: the trigger stores exports and the worker reads them, both
// at /exports on the same named volume.
func exportProblems(c composeFile) []string {
	var p []string
	if _, ok := c.Volumes["exports"]; !ok {
		p = append(p, "no named volume exports")
	}
	for _, target := range []string{"worker", "trigger"} {
		name, s, ok := c.byTarget(target)
		if !ok {
			p = append(p, "no service builds the "+target+" image")
			continue
		}
		if dir := s.Environment["DPSKMIGRATE_EXPORT_DIR"]; dir != "/exports" {
			p = append(p, fmt.Sprintf("%s: DPSKMIGRATE_EXPORT_DIR=%q, want /exports (the directory the image creates for nonroot)", name, dir))
		}
		if !slices.ContainsFunc(s.Volumes, isExportsMount) {
			p = append(p, name+": the named volume exports is not mounted read-write at /exports")
		}
	}
	return p
}

func isExportsMount(v any) bool {
	switch m := v.(type) {
	case string:
		return m == "exports:/exports" || m == "exports:/exports:rw"
	case map[string]any:
		return m["type"] == "volume" && m["source"] == "exports" && m["target"] == "/exports" && m["read_only"] != true
	}
	return false
}

func (c composeFile) byTarget(target string) (string, composeService, bool) {
	for _, name := range c.serviceNames() {
		if c.Services[name].Build.Target == target {
			return name, c.Services[name], true
		}
	}
	return "", composeService{}, false
}

// stopProblems: Docker's grace period must outlast the worker's stop timeout,
// or SIGKILL cuts the R1 calls the worker is letting finish.
func stopProblems(c composeFile) []string {
	name, s, ok := c.byTarget("worker")
	if !ok {
		return nil
	}
	grace := 10 * time.Second // Docker's default
	if s.StopGracePeriod != "" {
		d, err := time.ParseDuration(s.StopGracePeriod)
		if err != nil {
			return []string{fmt.Sprintf("%s: stop_grace_period %q: %v", name, s.StopGracePeriod, err)}
		}
		grace = d
	}
	stop := worker.DefaultStopTimeout
	if v, ok := s.Environment["WORKER_STOP_TIMEOUT"]; ok {
		// ${WORKER_STOP_TIMEOUT:-45s} → its default
		if _, def, found := strings.Cut(v, ":-"); found {
			v = strings.TrimSuffix(def, "}")
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return []string{fmt.Sprintf("%s: WORKER_STOP_TIMEOUT %q: %v", name, v, err)}
		}
		stop = d
	}
	if grace <= stop {
		return []string{fmt.Sprintf("%s: stop_grace_period %s does not exceed the worker's stop timeout %s: SIGKILL would cut R1 calls in flight", name, grace, stop)}
	}
	return nil
}

// promConfig is the part of a Prometheus configuration the checks read.
type promConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
		DNSSDConfigs []struct {
			Names []string `yaml:"names"`
			Port  int      `yaml:"port"`
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

// monitoringProblems: the worker serves metrics on the compose network, and
// the monitoring profile's Prometheus mounts a scrape configuration (read with
// readFile, relative to the compose file) that scrapes the worker there.
func monitoringProblems(c composeFile, readFile func(string) (string, error)) []string {
	name, w, ok := c.byTarget("worker")
	if !ok {
		return nil
	}
	addr := w.Environment["METRICS_ADDR"]
	if err := metrics.CheckAddr(addr); err != nil {
		return []string{fmt.Sprintf("%s: %v", name, err)}
	}
	host, port, _ := strings.Cut(addr, ":")
	if host != "" && host != "0.0.0.0" {
		return []string{fmt.Sprintf("%s: METRICS_ADDR=%s is unreachable from Prometheus on the compose network: listen on 0.0.0.0", name, addr)}
	}
	var promName string
	for _, n := range c.serviceNames() {
		if strings.HasPrefix(c.Services[n].Image, "prom/prometheus:") && slices.Contains(c.Services[n].Profiles, "monitoring") {
			promName = n
		}
	}
	if promName == "" {
		return []string{"no prom/prometheus service in the monitoring profile"}
	}
	var configFile string
	for _, v := range c.Services[promName].Volumes {
		if m, ok := v.(string); ok && strings.HasPrefix(m, "./") && strings.Contains(m, ":/etc/prometheus/prometheus.yml") {
			configFile, _, _ = strings.Cut(m, ":")
		}
	}
	if configFile == "" {
		return []string{promName + ": no scrape configuration from the repository mounted at /etc/prometheus/prometheus.yml"}
	}
	text, err := readFile(configFile)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", promName, err)}
	}
	var pc promConfig
	if err := yaml.Unmarshal([]byte(text), &pc); err != nil {
		return []string{fmt.Sprintf("%s: %v", configFile, err)}
	}
	target := name + ":" + port
	for _, sc := range pc.ScrapeConfigs {
		if sc.MetricsPath != "" && sc.MetricsPath != metrics.Path {
			continue
		}
		for _, st := range sc.StaticConfigs {
			if slices.Contains(st.Targets, target) {
				return nil
			}
		}
		for _, dns := range sc.DNSSDConfigs {
			if slices.Contains(dns.Names, name) && strconv.Itoa(dns.Port) == port {
				return nil
			}
		}
	}
	return []string{fmt.Sprintf("%s: no scrape job reads %s%s (the worker's METRICS_ADDR)", configFile, target, metrics.Path)}
}

// dockerStage is one FROM … [AS name] section of a Dockerfile.
type dockerStage struct {
	name, from string
	lines      []string // instructions, continuation lines joined
}

// parseDockerfile is a small line scanner: enough for our Dockerfile's
// FROM/RUN/COPY/USER instructions.
func parseDockerfile(text string) []dockerStage {
	var stages []dockerStage
	var cur strings.Builder
	flush := func() {
		line := strings.Join(strings.Fields(cur.String()), " ")
		cur.Reset()
		if line == "" {
			return
		}
		if f := strings.Fields(line); strings.EqualFold(f[0], "FROM") {
			st := dockerStage{from: f[len(f)-1]}
			if len(f) >= 4 && strings.EqualFold(f[len(f)-2], "AS") {
				st.name, st.from = f[len(f)-1], f[len(f)-3]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) > 0 {
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, line)
		}
	}
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// chain is the stage named target and the stages it is built FROM, target first.
func chain(stages []dockerStage, target string) []dockerStage {
	var out []dockerStage
	for name := target; ; {
		i := slices.IndexFunc(stages, func(s dockerStage) bool { return s.name == name })
		if i < 0 || len(out) > len(stages) {
			return out
		}
		out = append(out, stages[i])
		name = stages[i].from
	}
}

var (
	makeExportsDir = regexp.MustCompile(`^RUN .*install -d -m 0?700 (\S+)/exports(\s|$)`)
	copyFlag       = regexp.MustCompile(`--(\w+)=(\S+)`)
)

// dockerfileProblems: the worker and trigger images run as nonroot and hold
// /exports owned by nonroot with mode 0700, created in the build stage
// (distroless has no shell) and copied with the directory's own mode.
func dockerfileProblems(text string) []string {
	stages := parseDockerfile(text)
	var p []string
	root := ""
	for _, st := range stages {
		for _, l := range st.lines {
			if m := makeExportsDir.FindStringSubmatch(l); m != nil {
				root = m[1]
			}
		}
	}
	if root == "" {
		return []string{"no build stage creates <root>/exports with mode 0700 (install -d -m 0700 <root>/exports)"}
	}
	for _, target := range []string{"worker", "trigger"} {
		ch := chain(stages, target)
		if len(ch) == 0 {
			p = append(p, "no "+target+" stage")
			continue
		}
		user, copied := "", false
		for i := len(ch) - 1; i >= 0; i-- { // base first, so the last USER wins
			for _, l := range ch[i].lines {
				f := strings.Fields(l)
				switch strings.ToUpper(f[0]) {
				case "USER":
					user = f[1]
				case "COPY":
					flags := map[string]string{}
					for _, m := range copyFlag.FindAllStringSubmatch(l, -1) {
						flags[m[1]] = m[2]
					}
					args := slices.DeleteFunc(f[1:], func(a string) bool { return strings.HasPrefix(a, "--") })
					// COPY of a directory copies its contents: copy the parent
					// so /exports keeps its own mode.
					if flags["from"] != "" && len(args) == 2 && strings.TrimSuffix(args[0], "/") == root && args[1] == "/" {
						copied = flags["chown"] == nonrootUID+":"+nonrootUID
					}
				}
			}
		}
		if !copied {
			p = append(p, fmt.Sprintf("%s image: /exports is not copied from %s/ to / with --chown=%s:%s", target, root, nonrootUID, nonrootUID))
		}
		if user != "nonroot" && user != nonrootUID && user != nonrootUID+":"+nonrootUID {
			p = append(p, fmt.Sprintf("%s image runs as %q, want nonroot (%s), the owner of /exports", target, user, nonrootUID))
		}
	}
	return p
}
