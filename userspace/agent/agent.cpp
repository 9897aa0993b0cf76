// SPDX-License-Identifier: Apache-2.0
#include "agent/agent.h"

#include <fmt/format.h>

#include "core/log.h"
#include "core/prometheus.h"

namespace phalanx::agent {
namespace {

using prometheus::escape_label;

const std::shared_ptr<spdlog::logger>& logger() {
  static auto l = log::get("agent");
  return l;
}

}  // namespace

Result<std::unique_ptr<Agent>> Agent::create(const AgentConfig& config, AlertCallback on_alerts,
                                             Diagnostics& diag) {
  std::unique_ptr<Agent> a(new Agent());
  a->config_ = config;
  PHALANX_TRY(auto content, cli::load_content(config.content));
  diag.append(content.diagnostics);
  a->content_ = std::make_shared<cli::Content>(std::move(content));
  a->on_alerts_ = std::move(on_alerts);
  const auto items = acquisition::load_acquis(config.acquis_file, config.acquis_dir, diag);
  for (const auto& item : items) {
    auto source = acquisition::make_source(item, {.state_dir = config.state_dir});
    if (!source) {
      diag.error(item.file, item.line, item.name, source.error().message());
      continue;
    }
    a->sources_.push_back(std::move(*source));
  }
  a->pipeline_ = std::make_unique<Pipeline>(*a->content_, config.pipeline, a->on_alerts_);
  return a;
}

Result<std::unique_ptr<Agent>> Agent::again() const {
  std::unique_ptr<Agent> a(new Agent());
  a->config_ = config_;
  a->content_ = content_;
  a->on_alerts_ = on_alerts_;
  for (const auto& s : sources_) {
    PHALANX_TRY(auto source,
                acquisition::make_source(s->config(), {.state_dir = config_.state_dir}));
    a->sources_.push_back(std::move(source));
  }
  a->pipeline_ = std::make_unique<Pipeline>(*a->content_, config_.pipeline, a->on_alerts_);
  return a;
}

Agent::~Agent() {
  stop();
}

Result<void> Agent::start() {
  if (started_) return ok();
  started_ = true;
  pipeline_->start();
  if (sources_.empty())
    logger()->warn("no acquisition configured ({} and {}): the agent reads nothing",
                   config_.acquis_file, config_.acquis_dir);
  for (auto& s : sources_) {
    if (auto r = s->start(*pipeline_); !r) {
      stop();
      return r.error().context("acquisition " + s->config().name);
    }
    logger()->info("acquisition {}: {}", s->config().name, s->describe());
  }
  logger()->info("agent: {} source(s), {} parser worker(s), {} scenario(s) from {}",
                 sources_.size(), pipeline_->workers(), content_->scenarios->size(),
                 content_->description);
  return ok();
}

void Agent::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& s : sources_)
    s->stop();
  pipeline_->stop();
}

void Agent::hand_buckets_to(Agent& next) {
  next.pipeline_->adopt_buckets(pipeline_->take_buckets());
}

std::string Agent::render_metrics() const {
  std::string out;
  auto add = [&out](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  add("phalanx_acquisition_lines_total", "counter", "Lines read, per source.");
  for (const auto& s : sources_)
    out += fmt::format("phalanx_acquisition_lines_total{{source=\"{}\",type=\"{}\"}} {}\n",
                       escape_label(s->config().name), escape_label(s->config().source),
                       s->stats().lines.load());
  add("phalanx_acquisition_dropped_total", "counter",
      "Lines dropped by a source (allowed dropping, cut or invalid messages).");
  for (const auto& s : sources_)
    out += fmt::format("phalanx_acquisition_dropped_total{{source=\"{}\"}} {}\n",
                       escape_label(s->config().name), s->stats().dropped.load());
  add("phalanx_acquisition_errors_total", "counter", "Read errors and rejected messages.");
  for (const auto& s : sources_)
    out += fmt::format("phalanx_acquisition_errors_total{{source=\"{}\"}} {}\n",
                       escape_label(s->config().name), s->stats().errors.load());
  add("phalanx_acquisition_idle", "gauge",
      "1 when a source produced nothing for longer than its idle_warning.");
  for (const auto& s : sources_)
    out += fmt::format("phalanx_acquisition_idle{{source=\"{}\"}} {}\n",
                       escape_label(s->config().name), s->stats().idle.load() ? 1 : 0);
  const PipelineStats& st = pipeline_->stats();
  add("phalanx_parser_lines_total", "counter", "Lines by parsing result.");
  out += fmt::format("phalanx_parser_lines_total{{result=\"parsed\"}} {}\n", st.parsed.load());
  out += fmt::format("phalanx_parser_lines_total{{result=\"unparsed\"}} {}\n", st.unparsed.load());
  out += fmt::format("phalanx_parser_lines_total{{result=\"whitelisted\"}} {}\n",
                     st.whitelisted.load());
  out += fmt::format("phalanx_parser_lines_total{{result=\"error\"}} {}\n", st.errors.load());
  add("phalanx_parser_lines_by_type_total", "counter",
      "Lines by the source's labels.type and parsing result.");
  for (const auto& [key, n] : pipeline_->lines_by_type())
    out += fmt::format("phalanx_parser_lines_by_type_total{{type=\"{}\",result=\"{}\"}} {}\n",
                       escape_label(key.first), key.second, n);
  const auto nodes = pipeline_->parser_nodes();
  add("phalanx_parser_node_hits_total", "counter",
      "Events a top-level parser node's filter let in.");
  for (const auto& n : nodes)
    out += fmt::format("phalanx_parser_node_hits_total{{stage=\"{}\",node=\"{}\"}} {}\n",
                       escape_label(n.stage), escape_label(n.name), n.count.entered);
  add("phalanx_parser_node_results_total", "counter",
      "Of the events a top-level parser node took in, those it parsed and those it failed on.");
  for (const auto& n : nodes) {
    const auto stage = escape_label(n.stage), name = escape_label(n.name);
    out += fmt::format(
        "phalanx_parser_node_results_total{{stage=\"{}\",node=\"{}\",result=\"parsed\"}} {}\n",
        stage, name, n.count.parsed);
    out += fmt::format(
        "phalanx_parser_node_results_total{{stage=\"{}\",node=\"{}\",result=\"failed\"}} {}\n",
        stage, name, n.count.entered - n.count.parsed);
  }
  add("phalanx_buckets", "gauge", "Live buckets.");
  out += fmt::format("phalanx_buckets {}\n", pipeline_->bucket_count());
  add("phalanx_overflows_total", "counter", "Alerts out of the scenarios, per scenario.");
  for (const auto& [scenario, n] : pipeline_->overflows_by_scenario())
    out +=
        fmt::format("phalanx_overflows_total{{scenario=\"{}\"}} {}\n", escape_label(scenario), n);
  add("phalanx_queue_depth", "gauge", "Items waiting in the agent's queues.");
  out += fmt::format("phalanx_queue_depth{{queue=\"lines\"}} {}\n", pipeline_->line_queue_depth());
  out +=
      fmt::format("phalanx_queue_depth{{queue=\"events\"}} {}\n", pipeline_->event_queue_depth());
  add("phalanx_processing_latency_seconds", "summary",
      "From a line being read to its event being poured into the buckets.");
  out += fmt::format("phalanx_processing_latency_seconds_sum {:.6f}\n",
                     double(st.latency_us_sum.load()) / 1e6);
  out += fmt::format("phalanx_processing_latency_seconds_count {}\n", st.latency_count.load());
  add("phalanx_processing_latency_max_seconds", "gauge", "The largest processing latency seen.");
  out += fmt::format("phalanx_processing_latency_max_seconds {:.6f}\n",
                     double(st.latency_us_max.load()) / 1e6);
  return out;
}

}  // namespace phalanx::agent
