// --print-context and the resolved sources for flag / environment / config
// combinations, pinned as they were before the settings table drove them
// (src/app/settings_table.cc): the table must not change a byte of them.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "app/config.h"
#include "app/context.h"
#include "base/error.h"

using namespace rbus;

namespace {

// A directory with a config file, a password file and a sentinel password
// file; its path reads "DIR" in the snapshots.
struct Dir {
    std::string path;
    Dir() {
        char tmpl[] = "/tmp/rbus-golden-XXXXXX";
        REQUIRE(mkdtemp(tmpl));
        path = tmpl;
        write("pw", "file-pw\n", 0600);
        write("spw", "sentinel-file-pw\n", 0644);
    }
    ~Dir() {
        for (const char* f : {"pw", "spw", "config.toml"}) ::unlink((path + "/" + f).c_str());
        ::rmdir(path.c_str());
    }
    void write(const std::string& name, const std::string& text, mode_t mode) const {
        std::string p = path + "/" + name;
        std::ofstream(p) << text;
        ::chmod(p.c_str(), mode);
    }
    Config config(const std::string& text, std::string_view section = "tail", mode_t mode = 0600) const {
        write("config.toml", text, mode);
        return Config::load(path + "/config.toml", env_from_map({}), section);
    }
};

std::string hide_dir(std::string s, const Dir& dir) {
    for (std::size_t at; (at = s.find(dir.path)) != std::string::npos;) s.replace(at, dir.path.size(), "DIR");
    return s;
}

// What a user can see of a resolved context: --print-context, every source
// (some are not printed, e.g. cluster-hosts and history), the warnings.
std::string snapshot(const Context& c, const Dir& dir) {
    std::string s = describe_context(c) + "\nsources:";
    for (const auto& [key, source] : c.sources) s += " " + key + "=" + source;
    s += "\nhistory=" + std::to_string(c.history) + " quiet=" + std::to_string(c.quiet) +
         " no_auth_warning=" + std::to_string(c.no_auth_warning) +
         " url_password_on_argv=" + std::to_string(c.url_password_on_argv) +
         " cluster_hosts=" + std::to_string(!c.connect.cluster_hosts.empty());
    for (const SecurityWarning& w : c.security_warnings) s += "\nwarning " + std::to_string(w.auth) + ": " + w.text;
    return hide_dir(s, dir);
}

std::string error_of(const Dir& dir, const CommonOptions& o, const EnvLookup& env, const Config& config = Config()) {
    try {
        resolve_context(o, env, config);
    } catch (const UsageError& e) {
        return hide_dir(e.what(), dir);
    }
    return "";
}

const char* kFullConfig = R"(url = "redis://cfg.example:6390/1"
password-file = "pw"
sentinel-password-file = "~/spw"
tls = true
cacert = "ca.pem"
cert = "/abs/cert.pem"
key = "~/key.pem"
insecure = true
sni = "sni.example"
connect-timeout = "3s"
cluster-hosts = "10.0.0.0/8,cache.example"
prefix = "cfg.prefix"
workspace-id = 7
correlation-id = "corr-cfg"
source-agent-id = "agent-cfg"
color = "never"
log-format = "json"
fail-soft = true
sharded = true
history-key-prefix = "cfghist"
history = true
[tail]
prefix = "cfg.tail"
[publish]
prefix = "cfg.publish"
)";

}  // namespace

TEST_CASE("golden: defaults") {
    Dir dir;
    CHECK(snapshot(resolve_context(CommonOptions{}, env_from_map({})), dir) == R"golden({"config":null,"url":"redis://127.0.0.1:6379/0","url_source":"default","password":null,"password_source":"none","sentinel_password":null,"sentinel_password_source":"none","tls":false,"tls_source":"default","cacert":null,"cacert_source":"default","cert":null,"cert_source":"default","key":null,"key_source":"default","sni":null,"sni_source":"default","insecure":false,"insecure_source":"default","connect_timeout_ms":5000,"connect_timeout_source":"default","prefix":"raptorflow.events","prefix_source":"default","channels":[],"workspace_id":null,"workspace_id_source":"default","correlation_id":null,"correlation_id_source":"default","source_agent_id":null,"source_agent_id_source":"default","color":"auto","color_source":"default","log_level":"warn","log_level_source":"default","log_format":"text","log_format_source":"default","fail_soft":false,"fail_soft_source":"default","sharded":false,"sharded_source":"default","history_key_prefix":"rbus","history_key_prefix_source":"default"}
sources: cacert=default cert=default cluster-hosts=default color=default connect-timeout=default correlation-id=default fail-soft=default history=default history-key-prefix=default insecure=default key=default log-format=default log-level=default password=none prefix=default sentinel-password=none sharded=default sni=default source-agent-id=default tls=default url=default workspace-id=default
history=0 quiet=0 no_auth_warning=0 url_password_on_argv=0 cluster_hosts=0)golden");
}

TEST_CASE("golden: every flag") {
    Dir dir;
    CommonOptions o;
    o.url = "rediss://user:flagpw@flag.example:6400/2";
    o.password_file = dir.path + "/pw";
    o.sentinel_password_file = dir.path + "/spw";
    o.tls = true;
    o.cacert = "ca.pem";
    o.cert = "cert.pem";
    o.key = "key.pem";
    o.insecure = true;
    o.sni = "sni.flag";
    o.connect_timeout = "750ms";
    o.cluster_hosts = "192.168.0.0/16";
    o.no_auth_warning = true;
    o.sharded = true;
    o.history_key_prefix = "flaghist";
    o.prefix = "flag.prefix";
    o.channels = {"sys.alert.critical", "other.channel"};
    o.workspace_id = "ws-flag";
    o.correlation_id = "corr-flag";
    o.source_agent_id = "agent-flag";
    o.color = "always";
    o.verbose = 2;
    o.log_format = "json";
    o.fail_soft = true;
    auto env = env_from_map({{"REDIS_URL", "redis://env:1"},
                             {"RAPTORBUS_PASSWORD", "envpw"},
                             {"RAPTORBUS_SENTINEL_PASSWORD", "envspw"},
                             {"RAPTORBUS_CHANNEL_PREFIX", "env.prefix"},
                             {"RAPTORBUS_WORKSPACE_ID", "ws-env"},
                             {"RAPTORBUS_LOG_LEVEL", "error"},
                             {"RAPTORBUS_FAIL_SOFT", "0"},
                             {"RAPTORBUS_SHARDED", "off"},
                             {"NO_COLOR", "1"}});
    Config config = dir.config(kFullConfig);
    CHECK(snapshot(resolve_context(o, env, config), dir) == R"golden({"config":"DIR/config.toml","url":"rediss://user:***@flag.example:6400/2","url_source":"--url","password":"***","password_source":"url (--url)","sentinel_password":"***","sentinel_password_source":"--sentinel-password-file","tls":true,"tls_source":"url","cacert":"ca.pem","cacert_source":"--cacert","cert":"cert.pem","cert_source":"--cert","key":"key.pem","key_source":"--key","sni":"sni.flag","sni_source":"--sni","insecure":true,"insecure_source":"--insecure","connect_timeout_ms":750,"connect_timeout_source":"--connect-timeout","prefix":"flag.prefix","prefix_source":"--prefix","channels":["sys.alert.critical","other.channel"],"workspace_id":"ws-flag","workspace_id_source":"--workspace-id","correlation_id":"corr-flag","correlation_id_source":"--correlation-id","source_agent_id":"agent-flag","source_agent_id_source":"--source-agent-id","color":"always","color_source":"--color","log_level":"debug","log_level_source":"-vv","log_format":"json","log_format_source":"--log-format","fail_soft":true,"fail_soft_source":"--fail-soft","sharded":true,"sharded_source":"--sharded","history_key_prefix":"flaghist","history_key_prefix_source":"--history-key-prefix"}
sources: cacert=--cacert cert=--cert cluster-hosts=--cluster-hosts color=--color connect-timeout=--connect-timeout correlation-id=--correlation-id fail-soft=--fail-soft history=config DIR/config.toml:21 history-key-prefix=--history-key-prefix insecure=--insecure key=--key log-format=--log-format log-level=-vv password=url (--url) prefix=--prefix sentinel-password=--sentinel-password-file sharded=--sharded sni=--sni source-agent-id=--source-agent-id tls=url url=--url workspace-id=--workspace-id
history=1 quiet=0 no_auth_warning=1 url_password_on_argv=1 cluster_hosts=1
warning 1: password file DIR/spw can be read by other users (mode 0644): chmod 600 it)golden");
    o.verbose = 1;
    o.quiet = true;
    o.url = "redis://flag.example";
    CHECK(snapshot(resolve_context(o, env, config), dir) == R"golden({"config":"DIR/config.toml","url":"redis://***@flag.example:6379/0","url_source":"--url","password":"***","password_source":"--password-file","sentinel_password":"***","sentinel_password_source":"--sentinel-password-file","tls":true,"tls_source":"--tls","cacert":"ca.pem","cacert_source":"--cacert","cert":"cert.pem","cert_source":"--cert","key":"key.pem","key_source":"--key","sni":"sni.flag","sni_source":"--sni","insecure":true,"insecure_source":"--insecure","connect_timeout_ms":750,"connect_timeout_source":"--connect-timeout","prefix":"flag.prefix","prefix_source":"--prefix","channels":["sys.alert.critical","other.channel"],"workspace_id":"ws-flag","workspace_id_source":"--workspace-id","correlation_id":"corr-flag","correlation_id_source":"--correlation-id","source_agent_id":"agent-flag","source_agent_id_source":"--source-agent-id","color":"always","color_source":"--color","log_level":"error","log_level_source":"-q","log_format":"json","log_format_source":"--log-format","fail_soft":true,"fail_soft_source":"--fail-soft","sharded":true,"sharded_source":"--sharded","history_key_prefix":"flaghist","history_key_prefix_source":"--history-key-prefix"}
sources: cacert=--cacert cert=--cert cluster-hosts=--cluster-hosts color=--color connect-timeout=--connect-timeout correlation-id=--correlation-id fail-soft=--fail-soft history=config DIR/config.toml:21 history-key-prefix=--history-key-prefix insecure=--insecure key=--key log-format=--log-format log-level=-q password=--password-file prefix=--prefix sentinel-password=--sentinel-password-file sharded=--sharded sni=--sni source-agent-id=--source-agent-id tls=--tls url=--url workspace-id=--workspace-id
history=1 quiet=1 no_auth_warning=1 url_password_on_argv=0 cluster_hosts=1
warning 1: password file DIR/spw can be read by other users (mode 0644): chmod 600 it)golden");
}

TEST_CASE("golden: environment over the config file") {
    Dir dir;
    auto env = env_from_map({{"REDIS_URL", "redis://env.example:7000"},
                             {"RAPTORBUS_PASSWORD", "envpw"},
                             {"RAPTORBUS_SENTINEL_PASSWORD", "envspw"},
                             {"RAPTORBUS_CHANNEL_PREFIX", "env.prefix"},
                             {"RAPTORBUS_WORKSPACE_ID", "ws-env"},
                             {"RAPTORBUS_CORRELATION_ID", "corr-env"},
                             {"RAPTORBUS_SOURCE_AGENT_ID", "agent-env"},
                             {"RAPTORBUS_LOG_LEVEL", "INFO"},
                             {"RAPTORBUS_FAIL_SOFT", "no"},
                             {"RAPTORBUS_SHARDED", "Yes"},
                             {"RAPTORBUS_HISTORY", "0"},
                             {"CLICOLOR_FORCE", "1"},
                             {"HOME", "/home/u"}});
    CHECK(snapshot(resolve_context(CommonOptions{}, env, dir.config(kFullConfig)), dir) == R"golden({"config":"DIR/config.toml","url":"redis://***@env.example:7000/0","url_source":"REDIS_URL","password":"***","password_source":"RAPTORBUS_PASSWORD","sentinel_password":"***","sentinel_password_source":"RAPTORBUS_SENTINEL_PASSWORD","tls":true,"tls_source":"config DIR/config.toml:4","cacert":"DIR/ca.pem","cacert_source":"config DIR/config.toml:5","cert":"/abs/cert.pem","cert_source":"config DIR/config.toml:6","key":"/home/u/key.pem","key_source":"config DIR/config.toml:7","sni":"sni.example","sni_source":"config DIR/config.toml:9","insecure":true,"insecure_source":"config DIR/config.toml:8","connect_timeout_ms":3000,"connect_timeout_source":"config DIR/config.toml:10","prefix":"env.prefix","prefix_source":"RAPTORBUS_CHANNEL_PREFIX","channels":[],"workspace_id":"ws-env","workspace_id_source":"RAPTORBUS_WORKSPACE_ID","correlation_id":"corr-env","correlation_id_source":"RAPTORBUS_CORRELATION_ID","source_agent_id":"agent-env","source_agent_id_source":"RAPTORBUS_SOURCE_AGENT_ID","color":"auto","color_source":"CLICOLOR_FORCE","log_level":"info","log_level_source":"RAPTORBUS_LOG_LEVEL","log_format":"json","log_format_source":"config DIR/config.toml:17","fail_soft":false,"fail_soft_source":"RAPTORBUS_FAIL_SOFT","sharded":true,"sharded_source":"RAPTORBUS_SHARDED","history_key_prefix":"cfghist","history_key_prefix_source":"config DIR/config.toml:20"}
sources: cacert=config DIR/config.toml:5 cert=config DIR/config.toml:6 cluster-hosts=config DIR/config.toml:11 color=CLICOLOR_FORCE connect-timeout=config DIR/config.toml:10 correlation-id=RAPTORBUS_CORRELATION_ID fail-soft=RAPTORBUS_FAIL_SOFT history=RAPTORBUS_HISTORY history-key-prefix=config DIR/config.toml:20 insecure=config DIR/config.toml:8 key=config DIR/config.toml:7 log-format=config DIR/config.toml:17 log-level=RAPTORBUS_LOG_LEVEL password=RAPTORBUS_PASSWORD prefix=RAPTORBUS_CHANNEL_PREFIX sentinel-password=RAPTORBUS_SENTINEL_PASSWORD sharded=RAPTORBUS_SHARDED sni=config DIR/config.toml:9 source-agent-id=RAPTORBUS_SOURCE_AGENT_ID tls=config DIR/config.toml:4 url=REDIS_URL workspace-id=RAPTORBUS_WORKSPACE_ID
history=0 quiet=0 no_auth_warning=0 url_password_on_argv=0 cluster_hosts=1)golden");
    CHECK(snapshot(resolve_context(CommonOptions{}, env_from_map({}), dir.config("")), dir) ==
          R"golden({"config":"DIR/config.toml","url":"redis://127.0.0.1:6379/0","url_source":"default","password":null,"password_source":"none","sentinel_password":null,"sentinel_password_source":"none","tls":false,"tls_source":"default","cacert":null,"cacert_source":"default","cert":null,"cert_source":"default","key":null,"key_source":"default","sni":null,"sni_source":"default","insecure":false,"insecure_source":"default","connect_timeout_ms":5000,"connect_timeout_source":"default","prefix":"raptorflow.events","prefix_source":"default","channels":[],"workspace_id":null,"workspace_id_source":"default","correlation_id":null,"correlation_id_source":"default","source_agent_id":null,"source_agent_id_source":"default","color":"auto","color_source":"default","log_level":"warn","log_level_source":"default","log_format":"text","log_format_source":"default","fail_soft":false,"fail_soft_source":"default","sharded":false,"sharded_source":"default","history_key_prefix":"rbus","history_key_prefix_source":"default"}
sources: cacert=default cert=default cluster-hosts=default color=default connect-timeout=default correlation-id=default fail-soft=default history=default history-key-prefix=default insecure=default key=default log-format=default log-level=default password=none prefix=default sentinel-password=none sharded=default sni=default source-agent-id=default tls=default url=default workspace-id=default
history=0 quiet=0 no_auth_warning=0 url_password_on_argv=0 cluster_hosts=0)golden");
}

TEST_CASE("golden: the config file alone, with its section") {
    Dir dir;
    auto env = env_from_map({{"HOME", dir.path}});
    CHECK(snapshot(resolve_context(CommonOptions{}, env, dir.config(kFullConfig, "publish")), dir) ==
          R"golden({"config":"DIR/config.toml","url":"redis://***@cfg.example:6390/1","url_source":"config DIR/config.toml:1","password":"***","password_source":"config DIR/config.toml:2","sentinel_password":"***","sentinel_password_source":"config DIR/config.toml:3","tls":true,"tls_source":"config DIR/config.toml:4","cacert":"DIR/ca.pem","cacert_source":"config DIR/config.toml:5","cert":"/abs/cert.pem","cert_source":"config DIR/config.toml:6","key":"DIR/key.pem","key_source":"config DIR/config.toml:7","sni":"sni.example","sni_source":"config DIR/config.toml:9","insecure":true,"insecure_source":"config DIR/config.toml:8","connect_timeout_ms":3000,"connect_timeout_source":"config DIR/config.toml:10","prefix":"cfg.publish","prefix_source":"config DIR/config.toml:25","channels":[],"workspace_id":"7","workspace_id_source":"config DIR/config.toml:13","correlation_id":"corr-cfg","correlation_id_source":"config DIR/config.toml:14","source_agent_id":"agent-cfg","source_agent_id_source":"config DIR/config.toml:15","color":"never","color_source":"config DIR/config.toml:16","log_level":"warn","log_level_source":"default","log_format":"json","log_format_source":"config DIR/config.toml:17","fail_soft":true,"fail_soft_source":"config DIR/config.toml:18","sharded":true,"sharded_source":"config DIR/config.toml:19","history_key_prefix":"cfghist","history_key_prefix_source":"config DIR/config.toml:20"}
sources: cacert=config DIR/config.toml:5 cert=config DIR/config.toml:6 cluster-hosts=config DIR/config.toml:11 color=config DIR/config.toml:16 connect-timeout=config DIR/config.toml:10 correlation-id=config DIR/config.toml:14 fail-soft=config DIR/config.toml:18 history=config DIR/config.toml:21 history-key-prefix=config DIR/config.toml:20 insecure=config DIR/config.toml:8 key=config DIR/config.toml:7 log-format=config DIR/config.toml:17 log-level=default password=config DIR/config.toml:2 prefix=config DIR/config.toml:25 sentinel-password=config DIR/config.toml:3 sharded=config DIR/config.toml:19 sni=config DIR/config.toml:9 source-agent-id=config DIR/config.toml:15 tls=config DIR/config.toml:4 url=config DIR/config.toml:1 workspace-id=config DIR/config.toml:13
history=1 quiet=0 no_auth_warning=0 url_password_on_argv=0 cluster_hosts=1
warning 1: password file DIR/spw can be read by other users (mode 0644): chmod 600 it)golden");
    // A config file others can read holding the URL's password; one others can change.
    CHECK(snapshot(resolve_context(CommonOptions{}, env, dir.config("url = \"redis://:pw@h:1\"\n", "tail", 0644)), dir) ==
          R"golden({"config":"DIR/config.toml","url":"redis://***@h:1/0","url_source":"config DIR/config.toml:1","password":"***","password_source":"url (config DIR/config.toml:1)","sentinel_password":null,"sentinel_password_source":"none","tls":false,"tls_source":"default","cacert":null,"cacert_source":"default","cert":null,"cert_source":"default","key":null,"key_source":"default","sni":null,"sni_source":"default","insecure":false,"insecure_source":"default","connect_timeout_ms":5000,"connect_timeout_source":"default","prefix":"raptorflow.events","prefix_source":"default","channels":[],"workspace_id":null,"workspace_id_source":"default","correlation_id":null,"correlation_id_source":"default","source_agent_id":null,"source_agent_id_source":"default","color":"auto","color_source":"default","log_level":"warn","log_level_source":"default","log_format":"text","log_format_source":"default","fail_soft":false,"fail_soft_source":"default","sharded":false,"sharded_source":"default","history_key_prefix":"rbus","history_key_prefix_source":"default"}
sources: cacert=default cert=default cluster-hosts=default color=default connect-timeout=default correlation-id=default fail-soft=default history=default history-key-prefix=default insecure=default key=default log-format=default log-level=default password=url (config DIR/config.toml:1) prefix=default sentinel-password=none sharded=default sni=default source-agent-id=default tls=default url=config DIR/config.toml:1 workspace-id=default
history=0 quiet=0 no_auth_warning=0 url_password_on_argv=0 cluster_hosts=0
warning 1: config file DIR/config.toml holds a password and can be read by other users (mode 0644): chmod 600 it)golden");
    CHECK(snapshot(resolve_context(CommonOptions{}, env, dir.config("prefix = \"p\"\n", "tail", 0664)), dir) ==
          R"golden({"config":"DIR/config.toml","url":"redis://127.0.0.1:6379/0","url_source":"default","password":null,"password_source":"none","sentinel_password":null,"sentinel_password_source":"none","tls":false,"tls_source":"default","cacert":null,"cacert_source":"default","cert":null,"cert_source":"default","key":null,"key_source":"default","sni":null,"sni_source":"default","insecure":false,"insecure_source":"default","connect_timeout_ms":5000,"connect_timeout_source":"default","prefix":"p","prefix_source":"config DIR/config.toml:1","channels":[],"workspace_id":null,"workspace_id_source":"default","correlation_id":null,"correlation_id_source":"default","source_agent_id":null,"source_agent_id_source":"default","color":"auto","color_source":"default","log_level":"warn","log_level_source":"default","log_format":"text","log_format_source":"default","fail_soft":false,"fail_soft_source":"default","sharded":false,"sharded_source":"default","history_key_prefix":"rbus","history_key_prefix_source":"default"}
sources: cacert=default cert=default cluster-hosts=default color=default connect-timeout=default correlation-id=default fail-soft=default history=default history-key-prefix=default insecure=default key=default log-format=default log-level=default password=none prefix=config DIR/config.toml:1 sentinel-password=none sharded=default sni=default source-agent-id=default tls=default url=default workspace-id=default
history=0 quiet=0 no_auth_warning=0 url_password_on_argv=0 cluster_hosts=0
warning 0: config file DIR/config.toml can be changed by other users (mode 0664): chmod go-w it)golden");
}

TEST_CASE("golden: Upstash, a lone userinfo, the URL's own password") {
    Dir dir;
    auto up = env_from_map({{"UPSTASH_REDIS_URL", "rediss://default@up.example:6379"}, {"UPSTASH_REDIS_TOKEN", "tok"}});
    CHECK(snapshot(resolve_context(CommonOptions{}, up), dir) == R"golden({"config":null,"url":"rediss://default:***@up.example:6379/0","url_source":"UPSTASH_REDIS_URL","password":"***","password_source":"UPSTASH_REDIS_TOKEN","sentinel_password":null,"sentinel_password_source":"none","tls":true,"tls_source":"url","cacert":null,"cacert_source":"default","cert":null,"cert_source":"default","key":null,"key_source":"default","sni":null,"sni_source":"default","insecure":false,"insecure_source":"default","connect_timeout_ms":5000,"connect_timeout_source":"default","prefix":"raptorflow.events","prefix_source":"default","channels":[],"workspace_id":null,"workspace_id_source":"default","correlation_id":null,"correlation_id_source":"default","source_agent_id":null,"source_agent_id_source":"default","color":"auto","color_source":"default","log_level":"warn","log_level_source":"default","log_format":"text","log_format_source":"default","fail_soft":false,"fail_soft_source":"default","sharded":false,"sharded_source":"default","history_key_prefix":"rbus","history_key_prefix_source":"default"}
sources: cacert=default cert=default cluster-hosts=default color=default connect-timeout=default correlation-id=default fail-soft=default history=default history-key-prefix=default insecure=default key=default log-format=default log-level=default password=UPSTASH_REDIS_TOKEN prefix=default sentinel-password=none sharded=default sni=default source-agent-id=default tls=url url=UPSTASH_REDIS_URL workspace-id=default
history=0 quiet=0 no_auth_warning=0 url_password_on_argv=0 cluster_hosts=0)golden");
    CommonOptions o;
    o.url = "redis://alice@h:1";
    CHECK(snapshot(resolve_context(o, env_from_map({{"RAPTORBUS_PASSWORD", "pw"}})), dir) == R"golden({"config":null,"url":"redis://alice:***@h:1/0","url_source":"--url","password":"***","password_source":"RAPTORBUS_PASSWORD","sentinel_password":null,"sentinel_password_source":"none","tls":false,"tls_source":"default","cacert":null,"cacert_source":"default","cert":null,"cert_source":"default","key":null,"key_source":"default","sni":null,"sni_source":"default","insecure":false,"insecure_source":"default","connect_timeout_ms":5000,"connect_timeout_source":"default","prefix":"raptorflow.events","prefix_source":"default","channels":[],"workspace_id":null,"workspace_id_source":"default","correlation_id":null,"correlation_id_source":"default","source_agent_id":null,"source_agent_id_source":"default","color":"auto","color_source":"default","log_level":"warn","log_level_source":"default","log_format":"text","log_format_source":"default","fail_soft":false,"fail_soft_source":"default","sharded":false,"sharded_source":"default","history_key_prefix":"rbus","history_key_prefix_source":"default"}
sources: cacert=default cert=default cluster-hosts=default color=default connect-timeout=default correlation-id=default fail-soft=default history=default history-key-prefix=default insecure=default key=default log-format=default log-level=default password=RAPTORBUS_PASSWORD prefix=default sentinel-password=none sharded=default sni=default source-agent-id=default tls=default url=--url workspace-id=default
history=0 quiet=0 no_auth_warning=0 url_password_on_argv=0 cluster_hosts=0)golden");
    o.url = "redis://:urlpw@h:1";
    CHECK(snapshot(resolve_context(o, env_from_map({{"RAPTORBUS_PASSWORD", "pw"}})), dir) == R"golden({"config":null,"url":"redis://***@h:1/0","url_source":"--url","password":"***","password_source":"url (--url)","sentinel_password":null,"sentinel_password_source":"none","tls":false,"tls_source":"default","cacert":null,"cacert_source":"default","cert":null,"cert_source":"default","key":null,"key_source":"default","sni":null,"sni_source":"default","insecure":false,"insecure_source":"default","connect_timeout_ms":5000,"connect_timeout_source":"default","prefix":"raptorflow.events","prefix_source":"default","channels":[],"workspace_id":null,"workspace_id_source":"default","correlation_id":null,"correlation_id_source":"default","source_agent_id":null,"source_agent_id_source":"default","color":"auto","color_source":"default","log_level":"warn","log_level_source":"default","log_format":"text","log_format_source":"default","fail_soft":false,"fail_soft_source":"default","sharded":false,"sharded_source":"default","history_key_prefix":"rbus","history_key_prefix_source":"default"}
sources: cacert=default cert=default cluster-hosts=default color=default connect-timeout=default correlation-id=default fail-soft=default history=default history-key-prefix=default insecure=default key=default log-format=default log-level=default password=url (--url) prefix=default sentinel-password=none sharded=default sni=default source-agent-id=default tls=default url=--url workspace-id=default
history=0 quiet=0 no_auth_warning=0 url_password_on_argv=1 cluster_hosts=0)golden");
}

TEST_CASE("golden: errors name the value and where it came from") {
    Dir dir;
    CommonOptions o;
    auto none = env_from_map({});
    CHECK(error_of(dir, o, env_from_map({{"REDIS_URL", "nope://x"}})) == "REDIS_URL: unsupported URL scheme \"nope\" in \"nope://x\": use redis://, rediss://, unix:// or redis+sentinel://");
    CHECK(error_of(dir, o, none, dir.config("url = \"nope://x\"\n")) == "DIR/config.toml:1: unsupported URL scheme \"nope\" in \"nope://x\": use redis://, rediss://, unix:// or redis+sentinel://");
    CHECK(error_of(dir, o, none, dir.config("connect-timeout = \"soon\"\n")) == "invalid duration \"soon\": expected a number with a unit, e.g. 250ms, 5s, 2m, 1h (from config DIR/config.toml:1)");
    CHECK(error_of(dir, o, none, dir.config("prefix = \"a b\"\n")) == "invalid channel prefix \"a b\" (from config DIR/config.toml:1)");
    CHECK(error_of(dir, o, env_from_map({{"RAPTORBUS_CHANNEL_PREFIX", ""}})) == "");
    CHECK(error_of(dir, o, none, dir.config("color = \"pink\"\n")) == "invalid color \"pink\" (from config DIR/config.toml:1): use auto, always or never");
    CHECK(error_of(dir, o, none, dir.config("log-format = \"xml\"\n")) == "invalid log format \"xml\" (from config DIR/config.toml:1): use text or json");
    CHECK(error_of(dir, o, none, dir.config("history-key-prefix = \"a{b}\"\n")) == "invalid history key prefix \"a{b}\" (from config DIR/config.toml:1)");
    CHECK(error_of(dir, o, env_from_map({{"RAPTORBUS_SHARDED", "maybe"}})) == "invalid RAPTORBUS_SHARDED \"maybe\": use 1, true, yes or on; 0, false, no or off");
    CHECK(error_of(dir, o, none, dir.config("cert = \"c.pem\"\n")) == "--cert and --key must be given together");
    CHECK(error_of(dir, o, none, dir.config("password-file = \"missing\"\n")) == "cannot read password file DIR/missing: No such file or directory");
    CHECK(error_of(dir, o, none, dir.config("cluster-hosts = \"10.0.0.0/99\"\n")) == "invalid --cluster-hosts entry \"10.0.0.0/99\": the prefix must be 0 to 32");
    // Two bad settings at once: the first resolved is the one reported.
    auto two = env_from_map({{"RAPTORBUS_LOG_LEVEL", "loud"}, {"RAPTORBUS_CHANNEL_PREFIX", "a b"}});
    CHECK(error_of(dir, o, two) == "invalid RAPTORBUS_LOG_LEVEL \"loud\": use error, warning, info or debug (any case)");
    o.channels = {"bad channel"};
    o.connect_timeout = "x";
    CHECK(error_of(dir, o, env_from_map({{"RAPTORBUS_FAIL_SOFT", "maybe"}})) == "invalid duration \"x\": expected a number with a unit, e.g. 250ms, 5s, 2m, 1h (from --connect-timeout)");
    o.connect_timeout.clear();
    CHECK(error_of(dir, o, env_from_map({{"RAPTORBUS_FAIL_SOFT", "maybe"}})) == "invalid --channel \"bad channel\": a channel name has no spaces or control characters");
    o.channels.clear();
    o.color = "pink";
    CHECK(error_of(dir, o, env_from_map({{"RAPTORBUS_LOG_LEVEL", "loud"}})) == "invalid RAPTORBUS_LOG_LEVEL \"loud\": use error, warning, info or debug (any case)");
}
