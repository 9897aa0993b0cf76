// SPDX-License-Identifier: Apache-2.0
#include "grok/base_patterns.h"

namespace phalanx::grok {
namespace {

// The bodies are byte-for-byte what CrowdSec's engine uses, quirks included, because hub
// parsers are tested against its results:
//  * EMAILLOCALPART's "+-=" is a range (0x2B..0x3D), so digits, ',', '/', ';', '<' are in;
//  * MONTH's \b only binds to the first and last alternatives;
//  * MONTH spells "März" with a UTF-8 "ä" (written as \xC3\xA4 below);
//  * ANSIC ends with a stray '"';
//  * there is no HOST (logstash has one; CrowdSec does not, so %{HOST} is an unknown name).
constexpr BasePattern
    kBasePatterns
        [] =
            {
                {"USERNAME", R"re([a-zA-Z0-9._-]+)re"},
                {"USER", R"re(%{USERNAME})re"},
                {"EMAILLOCALPART", R"re([a-zA-Z0-9_.+-=:]+)re"},
                {"HOSTNAME",
                 R"re(\b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*(\.?|\b))re"},
                {"EMAILADDRESS", R"re(%{EMAILLOCALPART}@%{HOSTNAME})re"},
                {"HTTPDUSER", R"re(%{EMAILADDRESS}|%{USER})re"},
                {"INT", R"re([+-]?(?:[0-9]+))re"},
                {"BASE10NUM", R"re([+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))re"},
                {"NUMBER", R"re(%{BASE10NUM})re"},
                {"BASE16NUM", R"re([+-]?(?:0x)?(?:[0-9A-Fa-f]+))re"},
                {"BASE16FLOAT",
                 R"re(\b[+-]?(?:0x)?(?:(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?)|(?:\.[0-9A-Fa-f]+))\b)re"},
                {"POSINT", R"re(\b[1-9][0-9]*\b)re"},
                {"NONNEGINT", R"re(\b[0-9]+\b)re"},
                {"WORD", R"re(\b\w+\b)re"},
                {"NOTSPACE", R"re(\S+)re"},
                {"SPACE", R"re(\s*)re"},
                {"DATA", R"re(.*?)re"},
                {"GREEDYDATA", R"re(.*)re"},
                {"QUOTEDSTRING",
                 R"re(("(\\.|[^\\"]+)+")|""|('(\\.|[^\\']+)+')|''|(`(\\.|[^\\`]+)+`)|``)re"},
                {"UUID", R"re([A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12})re"},
                // Networking
                {"CISCOMAC", R"re((?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})re"},
                {"WINDOWSMAC", R"re((?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2})re"},
                {"COMMONMAC", R"re((?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})re"},
                {"MAC", R"re(%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC})re"},
                {"IPV6",
                 R"re(((([0-9A-Fa-f]{1,4}:){7}([0-9A-Fa-f]{1,4}|:))|(([0-9A-Fa-f]{1,4}:){6}(:[0-9A-Fa-f]{1,4}|((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(([0-9A-Fa-f]{1,4}:){5}(((:[0-9A-Fa-f]{1,4}){1,2})|:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(([0-9A-Fa-f]{1,4}:){4}(((:[0-9A-Fa-f]{1,4}){1,3})|((:[0-9A-Fa-f]{1,4})?:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){3}(((:[0-9A-Fa-f]{1,4}){1,4})|((:[0-9A-Fa-f]{1,4}){0,2}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){2}(((:[0-9A-Fa-f]{1,4}){1,5})|((:[0-9A-Fa-f]{1,4}){0,3}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){1}(((:[0-9A-Fa-f]{1,4}){1,6})|((:[0-9A-Fa-f]{1,4}){0,4}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(:(((:[0-9A-Fa-f]{1,4}){1,7})|((:[0-9A-Fa-f]{1,4}){0,5}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:)))(%.+)?)re"},
                {"IPV4",
                 R"re((?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))re"},
                {"IP", R"re(%{IPV6}|%{IPV4})re"},
                {"IPORHOST", R"re(%{IP}|%{HOSTNAME})re"},
                {"HOSTPORT", R"re(%{IPORHOST}:%{POSINT})re"},
                // Paths
                {"UNIXPATH", R"re((/([\w_%!$@:.,~-]+|\\.)*)+)re"},
                {"TTY", R"re(/dev/(pts|tty([pq])?)(\w+)?/?(?:[0-9]+))re"},
                {"WINPATH", R"re((?:[A-Za-z]+:|\\)(?:\\[^\\?*]*)+)re"},
                {"PATH", R"re(%{UNIXPATH}|%{WINPATH})re"},
                {"URIPROTO", R"re([A-Za-z]+(\+[A-Za-z+]+)?)re"},
                {"URIHOST", R"re(%{IPORHOST}(?::%{POSINT:port})?)re"},
                {"URIPATH", R"re((?:/[A-Za-z0-9$.+!*'(){},~:;=@#%_\-]*)+)re"},
                {"URIPARAM", R"re(\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*)re"},
                {"URIPATHPARAM", R"re(%{URIPATH}(?:%{URIPARAM})?)re"},
                {"URI",
                 R"re(%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?)re"},
                // Dates and times
                {"MONTH",
                 R"re(\bJan(?:uary|uar)?|Feb(?:ruary|ruar)?|M(?:a|)re"
                 "\xC3\xA4"
                 R"re()?r(?:ch|z)?|Apr(?:il)?|Ma(?:y|i)?|Jun(?:e|i)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:tember)?|O(?:c|k)?t(?:ober)?|Nov(?:ember)?|De(?:c|z)(?:ember)?\b)re"},
                {"MONTHNUM", R"re(0?[1-9]|1[0-2])re"},
                {"MONTHNUM2", R"re(0[1-9]|1[0-2])re"},
                {"MONTHDAY", R"re((?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])re"},
                {"DAY",
                 R"re(Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)re"},
                {"YEAR", R"re((?:\d\d){1,2})re"},
                {"HOUR", R"re(2[0123]|[01]?[0-9])re"},
                {"MINUTE", R"re([0-5][0-9])re"},
                {"SECOND", R"re((?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)re"},  // 60: leap second
                {"TIME", R"re(%{HOUR}:%{MINUTE}:%{SECOND})re"},
                {"DATE_US", R"re(%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR})re"},
                {"DATE_EU", R"re(%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR})re"},
                {"DATE_X", R"re(%{YEAR}/%{MONTHNUM2}/%{MONTHDAY})re"},
                {"ISO8601_TIMEZONE", R"re(Z|[+-]%{HOUR}(?::?%{MINUTE}))re"},
                {"ISO8601_SECOND", R"re(%{SECOND}|60)re"},
                {"TIMESTAMP_ISO8601",
                 R"re(%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?)re"},
                {"DATE", R"re(%{DATE_US}|%{DATE_EU}|%{DATE_X})re"},
                {"DATESTAMP", R"re(%{DATE}[- ]%{TIME})re"},
                {"TZ", R"re([A-Z]{3})re"},
                {"NUMTZ", R"re([+-]\d{4})re"},
                {"DATESTAMP_RFC822", R"re(%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ})re"},
                {"DATESTAMP_RFC2822",
                 R"re(%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE})re"},
                {"DATESTAMP_OTHER", R"re(%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR})re"},
                {"DATESTAMP_EVENTLOG",
                 R"re(%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND})re"},
                {"HTTPDERROR_DATE", R"re(%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR})re"},
                // Go's time layouts
                {"ANSIC", R"re(%{DAY} %{MONTH} [_123]\d %{TIME} %{YEAR}")re"},
                {"UNIXDATE", R"re(%{DAY} %{MONTH} [_123]\d %{TIME} %{TZ} %{YEAR})re"},
                {"RUBYDATE", R"re(%{DAY} %{MONTH} [0-3]\d %{TIME} %{NUMTZ} %{YEAR})re"},
                {"RFC822Z", R"re([0-3]\d %{MONTH} %{YEAR} %{TIME} %{NUMTZ})re"},
                {"RFC850", R"re(%{DAY}, [0-3]\d-%{MONTH}-%{YEAR} %{TIME} %{TZ})re"},
                {"RFC1123", R"re(%{DAY}, [0-3]\d %{MONTH} %{YEAR} %{TIME} %{TZ})re"},
                {"RFC1123Z", R"re(%{DAY}, [0-3]\d %{MONTH} %{YEAR} %{TIME} %{NUMTZ})re"},
                {"RFC3339", R"re(%{YEAR}-[01]\d-[0-3]\dT%{TIME}%{ISO8601_TIMEZONE})re"},
                {"RFC3339NANO", R"re(%{YEAR}-[01]\d-[0-3]\dT%{TIME}\.\d{9}%{ISO8601_TIMEZONE})re"},
                {"KITCHEN", R"re(\d{1,2}:\d{2}(AM|PM|am|pm))re"},
                // Syslog
                {"SYSLOGTIMESTAMP", R"re(%{MONTH} +%{MONTHDAY} %{TIME})re"},
                {"PROG", R"re([\x21-\x5a\x5c\x5e-\x7e]+)re"},
                {"SYSLOGPROG", R"re(%{PROG:program}(?:\[%{POSINT:pid}\])?)re"},
                {"SYSLOGHOST", R"re(%{IPORHOST})re"},
                {"SYSLOGFACILITY", R"re(<%{NONNEGINT:facility}.%{NONNEGINT:priority}>)re"},
                {"HTTPDATE", R"re(%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT})re"},
                // Shortcuts
                {"QS", R"re(%{QUOTEDSTRING})re"},
                // Log levels
                {"LOGLEVEL",
                 R"re([Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)re"},
                // Log formats
                {"SYSLOGBASE",
                 R"re(%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:)re"},
                {"COMMONAPACHELOG", R"re(%{IPORHOST:clientip} %{HTTPDUSER:ident} %{USER:auth} \[%{HTTPDATE:timestamp}\] "(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" %{NUMBER:response} (?:%{NUMBER:bytes}|-))re"},
                {"COMBINEDAPACHELOG", R"re(%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent})re"},
                {"HTTPD20_ERRORLOG",
                 R"re(\[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:loglevel}\] (?:\[client %{IPORHOST:clientip}\] ){0,1}%{GREEDYDATA:errormsg})re"},
                {"HTTPD24_ERRORLOG",
                 R"re(\[%{HTTPDERROR_DATE:timestamp}\] \[%{WORD:module}:%{LOGLEVEL:loglevel}\] \[pid %{POSINT:pid}(:tid %{NUMBER:tid})?\]( \(%{POSINT:proxy_errorcode}\)%{DATA:proxy_errormessage}:)?( \[client %{IPORHOST:client}:%{INT:clientport}\])? %{DATA:errorcode}: %{GREEDYDATA:message})re"},
                {"HTTPD_ERRORLOG", R"re(%{HTTPD20_ERRORLOG}|%{HTTPD24_ERRORLOG})re"},
};

}  // namespace

std::span<const BasePattern> base_patterns() {
  return kBasePatterns;
}

}  // namespace phalanx::grok
