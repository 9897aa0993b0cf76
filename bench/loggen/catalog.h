// SPDX-License-Identifier: Apache-2.0
// Word lists the generator draws from: user names, user agents, paths and payloads, modelled on
// what real sshd and nginx logs on an internet-facing host contain.
#pragma once

#include <array>
#include <string_view>

namespace phalanx::loggen::catalog {

using namespace std::string_view_literals;

// --- ssh
inline constexpr std::array kBenignUsers = {"deploy"sv,  "alice"sv, "bob"sv,    "carol"sv,
                                            "ansible"sv, "git"sv,   "backup"sv, "ops"sv};
inline constexpr std::array kBruteForceUsers = {"root"sv, "root"sv, "root"sv, "admin"sv};
inline constexpr std::array kEnumUsers = {
    "admin"sv,   "test"sv,     "user"sv,          "oracle"sv,    "postgres"sv,  "ubuntu"sv,
    "pi"sv,      "ftpuser"sv,  "guest"sv,         "support"sv,   "mysql"sv,     "git"sv,
    "jenkins"sv, "hadoop"sv,   "deploy"sv,        "minecraft"sv, "steam"sv,     "nagios"sv,
    "test1"sv,   "ec2-user"sv, "centos"sv,        "debian"sv,    "www-data"sv,  "docker"sv,
    "ubnt"sv,    "user1"sv,    "administrator"sv, "sysadmin"sv,  "teamspeak"sv, "tomcat"sv};
inline constexpr std::array kKexOffers = {
    "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1"sv,
    "diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1"sv, "ssh-rsa,ssh-dss"sv};

// --- http
inline constexpr std::array kBrowserAgents = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"sv,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"sv,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"sv,
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"sv,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"sv,
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"sv,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"sv};
inline constexpr std::array kCrawlerAgents = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"sv,
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"sv,
    "Mozilla/5.0 (compatible; DuckDuckBot-Https/1.1; https://duckduckgo.com/duckduckbot)"sv};
inline constexpr std::array kToolAgents = {"python-requests/2.32.3"sv, "Go-http-client/1.1"sv,
                                           "curl/8.5.0"sv, "Wget/1.21.4"sv,
                                           "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"sv};
inline constexpr std::array kBadAgents = {
    "sqlmap/1.8.11#stable (https://sqlmap.org)"sv,
    "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000562)"sv,
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)"sv,
    "Mozilla/5.0 zgrab/0.x"sv,
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"sv,
    "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)"sv,
    "WPScan v3.8.27 (https://wpscan.com/wordpress-security-scanner)"sv,
    "gobuster/3.6"sv,
    "Fuzz Faster U Fool v2.1.0-dev"sv};
inline constexpr std::array kPages = {"/"sv,
                                      "/about"sv,
                                      "/blog/"sv,
                                      "/blog/2026/11/release-notes"sv,
                                      "/contact"sv,
                                      "/pricing"sv,
                                      "/docs/"sv,
                                      "/docs/getting-started"sv,
                                      "/products/"sv,
                                      "/products/42"sv,
                                      "/products/1337"sv,
                                      "/search?q=firewall"sv,
                                      "/search?q=ssh+brute+force"sv,
                                      "/blog/tags/security"sv,
                                      "/careers"sv,
                                      "/faq"sv};
inline constexpr std::array kAssets = {"/static/css/main.4f2a9c.css"sv,
                                       "/static/js/app.81be3d.js"sv,
                                       "/static/js/vendor.0c77d1.js"sv,
                                       "/static/img/logo.svg"sv,
                                       "/static/img/hero.webp"sv,
                                       "/fonts/inter-var.woff2"sv,
                                       "/favicon.ico"sv,
                                       "/static/img/team.jpg"sv};
inline constexpr std::array kMissing = {"/apple-touch-icon.png"sv,
                                        "/apple-touch-icon-precomposed.png"sv,
                                        "/blog/2019/old-post"sv, "/static/img/banner-old.png"sv};
inline constexpr std::array kReferrers = {"https://www.google.com/"sv, "https://duckduckgo.com/"sv,
                                          "https://www.bing.com/"sv,
                                          "https://news.ycombinator.com/"sv};
inline constexpr std::array kProbePaths = {"/admin"sv,
                                           "/admin/login"sv,
                                           "/administrator/"sv,
                                           "/backup.zip"sv,
                                           "/backup.tar.gz"sv,
                                           "/old/"sv,
                                           "/test.php"sv,
                                           "/info.php"sv,
                                           "/phpinfo.php"sv,
                                           "/shell.php"sv,
                                           "/cgi-bin/"sv,
                                           "/api/v1/"sv,
                                           "/console"sv,
                                           "/manager/html"sv,
                                           "/solr/admin/"sv,
                                           "/actuator/env"sv,
                                           "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php"sv,
                                           "/boaform/admin/formLogin"sv,
                                           "/HNAP1/"sv,
                                           "/owa/auth/logon.aspx"sv,
                                           "/remote/login"sv,
                                           "/.well-known/security.txt"sv,
                                           "/sitemap.xml"sv,
                                           "/wp-includes/wlwmanifest.xml"sv,
                                           "/xmlrpc.php"sv,
                                           "/user/register"sv};
inline constexpr std::array kSensitivePaths = {"/.env"sv,
                                               "/.git/config"sv,
                                               "/.git/HEAD"sv,
                                               "/wp-login.php"sv,
                                               "/phpmyadmin/"sv,
                                               "/pma/"sv,
                                               "/.aws/credentials"sv,
                                               "/config.php.bak"sv,
                                               "/wp-config.php.bak"sv,
                                               "/backup.sql"sv,
                                               "/.DS_Store"sv,
                                               "/server-status"sv,
                                               "/.htpasswd"sv,
                                               "/.ssh/id_rsa"sv,
                                               "/docker-compose.yml"sv,
                                               "/.vscode/sftp.json"sv,
                                               "/config.json"sv,
                                               "/.env.production"sv,
                                               "/api/.env"sv,
                                               "/laravel/.env"sv};
inline constexpr std::array kTraversals = {"/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd"sv,
                                           "/static/../../../../etc/passwd"sv,
                                           "/index.php?page=../../../../etc/passwd"sv,
                                           "/..%2f..%2f..%2f..%2fetc%2fpasswd"sv,
                                           "/download?file=....//....//....//etc/passwd"sv,
                                           "/?file=/etc/passwd%00"sv,
                                           "/icons/.%%32%65/.%%32%65/.%%32%65/etc/passwd"sv,
                                           "/assets/..%252f..%252f..%252fwindows/win.ini"sv};
inline constexpr std::array kInjections = {
    "/products?id=1%27%20AND%201%3D1--%20-"sv, "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"sv,
    "/products?id=1%20UNION%20SELECT%20NULL,NULL--"sv,
    "/index.php?s=/index/\\think\\app/invokefunction&function=call_user_func_array"sv};

struct LoginTarget {
  std::string_view path;
  unsigned status;
  unsigned bytes;
};
inline constexpr std::array kLoginTargets = {
    LoginTarget{"/wp-login.php", 200, 4512}, LoginTarget{"/xmlrpc.php", 200, 403},
    LoginTarget{"/login", 401, 612}, LoginTarget{"/api/v1/auth/login", 403, 87},
    LoginTarget{"/user/login", 403, 1834}};

}  // namespace phalanx::loggen::catalog
