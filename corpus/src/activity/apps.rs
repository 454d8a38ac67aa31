//! Application servers: Apache with PHP (FastCGI workers, WordPress caches and plugin
//! updates, `exec()` to ImageMagick), Tomcat (JSP compilation, WAR deployments, APM
//! agents, a TeamCity agent) and Node.js (`child_process` for images and PDFs).

use super::windows::{APPDYNAMICS, INTERNET, MYSQL, POSTGRES, REDIS, SQL, TEAMCITY_SERVER, daemon};
use super::{Ctx, Procs, Timed, run_one};
use crate::catalog::{self as c, User};
use crate::host::feature;
use crate::model::Proc;
use crate::rng::Rng;
use crate::text::Text;

const PHP_CGI_CMD: &str = r#""C:\php\php-cgi.exe""#;
const TOMCAT_HOME: &str = r"C:\Program Files\Apache Software Foundation\Tomcat 9.0";
const TOMCAT_APPS: [&str; 4] = ["orders", "crm", "hr-portal", "ROOT"];
const NODE_APPS: [&str; 4] = ["portal", "media-api", "invoices", "catalog"];

pub fn setup_apache(rng: &mut Rng, procs: &mut Procs) {
    let services = procs.services;
    let parent = daemon(
        rng,
        &services,
        &c::HTTPD,
        r#""C:\Apache24\bin\httpd.exe" -k runservice"#,
        "",
        User::SYSTEM,
    );
    let child = daemon(
        rng,
        &parent,
        &c::HTTPD,
        r"C:\Apache24\bin\httpd.exe -d C:/Apache24 -k runservice",
        "",
        User::SYSTEM,
    );
    let php = daemon(rng, &child, &c::PHP_CGI, PHP_CGI_CMD, "", User::SYSTEM);
    procs.daemons.push(parent);
    procs.web.extend([child, php]);
}

pub fn setup_tomcat(rng: &mut Rng, procs: &mut Procs) {
    let services = procs.services;
    let tomcat = daemon(
        rng,
        &services,
        &c::TOMCAT9,
        r#""{a}\bin\Tomcat9.exe" //RS//Tomcat9"#,
        TOMCAT_HOME,
        c::SVC_TOMCAT,
    );
    procs.web.push(tomcat);
    if rng.chance(0.5) {
        let jar = daemon(
            rng,
            &services,
            &c::JAVA,
            r#""C:\Program Files\Eclipse Adoptium\jdk-17.0.13.11-hotspot\bin\java.exe" -Xms512m -Xmx2g -jar C:\apps\{=orders|billing|search}-service-2.{n1-9}.{n0-9}.jar --spring.profiles.active=prod"#,
            "",
            c::SVC_TOMCAT,
        );
        procs.web.push(jar);
    }
}

pub fn setup_node(rng: &mut Rng, procs: &mut Procs) {
    let services = procs.services;
    let app = *rng.pick(&NODE_APPS);
    let node = daemon(
        rng,
        &services,
        &c::NODE,
        r#""C:\Program Files\nodejs\node.exe" C:\apps\{a}\server.js"#,
        app,
        c::SVC_PORTAL,
    );
    procs.web.push(node);
}

pub fn apache(cx: &mut Ctx<'_>) {
    run_one(
        cx,
        &[
            (36, php_requests),
            (14, fcgi_churn),
            (8, uploads),
            (8, wp_cache),
            (6, php_exec),
        ],
    );
}

/// WordPress updates a plugin about every other day.
pub const APACHE_TIMED: &[Timed] = &[(0.5, 0, plugin_update)];

fn php(cx: &Ctx<'_>) -> Proc {
    cx.procs.web[1]
}

fn php_requests(cx: &mut Ctx<'_>) {
    let httpd = cx.procs.web[0];
    for _ in 0..cx.rng.range(1, 4) {
        let client = cx.client_ip();
        let port = *cx.rng.pick(&[80u16, 443]);
        cx.accept(&httpd, port, client);
    }
    let php = php(cx);
    cx.connect(&php, &MYSQL);
    if cx.rng.chance(0.4) {
        cx.file(&php, r"C:\php\tmp\sess_{x26}", "");
    }
}

/// mod_fcgid replaces a PHP worker.
fn fcgi_churn(cx: &mut Ctx<'_>) {
    let httpd = cx.procs.web[0];
    let old = php(cx);
    let fresh = cx.start(&httpd, &c::PHP_CGI, PHP_CGI_CMD, "", old.user);
    cx.procs.web[1] = fresh;
    cx.wait_s(1, 120);
    cx.end(&httpd, &old);
}

fn uploads(cx: &mut Ctx<'_>) {
    let php = php(cx);
    cx.file(
        &php,
        r"C:\Apache24\htdocs\wp-content\uploads\2026\11\{w}-{d4}.{=jpg|png|pdf|webp}",
        "",
    );
    if cx.rng.chance(0.5) {
        cx.file(&php, r"C:\Apache24\htdocs\wp-content\uploads\2026\11\{w}-{d4}-{=150x150|300x200|1024x683}.jpg", "");
    }
}

/// A WordPress object cache stores entries as `.php` files under the web root.
fn wp_cache(cx: &mut Ctx<'_>) {
    if !cx.host.has(feature::WP_CACHE) {
        return php_requests(cx);
    }
    let php = php(cx);
    for _ in 0..cx.rng.range(1, 3) {
        cx.file(
            &php,
            r"C:\Apache24\htdocs\wp-content\cache\object\{x3}\{x3}\{x32}.php",
            "",
        );
    }
}

/// WordPress updates a plugin in place.
fn plugin_update(cx: &mut Ctx<'_>) {
    let php = php(cx);
    cx.connect(
        &php,
        &super::Remote {
            name: "downloads.wordpress.org",
            ip: [198, 143, 164, 250],
            port: 443,
        },
    );
    for _ in 0..cx.rng.range(2, 6) {
        cx.file(
            &php,
            r"C:\Apache24\htdocs\wp-content\plugins\{=akismet|contact-form-7|wordfence|woocommerce}\{=includes\class-admin|index|uninstall|includes\functions|readme}.php",
            "",
        );
    }
}

/// The PHP application converts images with `exec()`, which runs `cmd.exe /c` on Windows.
fn php_exec(cx: &mut Ctx<'_>) {
    if !cx.host.has(feature::PHP_EXEC) {
        return uploads(cx);
    }
    let php = php(cx);
    let user = php.user;
    // The command line, the converter's and the file written agree on the name.
    let seed = cx.seed();
    let shell = cx.start_text(
        &php,
        &c::CMD,
        Text::tpl(r#"C:\Windows\system32\cmd.exe /s /c ""C:\Program Files\ImageMagick-7.1.1-Q16-HDRI\magick.exe" convert "C:\Apache24\htdocs\wp-content\uploads\2026\11\{w}-{d4}.jpg" -resize 1024x1024 -quality 82 "C:\Apache24\htdocs\wp-content\uploads\2026\11\{1}-{2}-1024x683.jpg"""#, "", seed),
        user,
    );
    let magick = cx.start_text(
        &shell,
        &c::MAGICK,
        Text::tpl(r#""C:\Program Files\ImageMagick-7.1.1-Q16-HDRI\magick.exe" convert "C:\Apache24\htdocs\wp-content\uploads\2026\11\{w}-{d4}.jpg" -resize 1024x1024 -quality 82 "C:\Apache24\htdocs\wp-content\uploads\2026\11\{1}-{2}-1024x683.jpg""#, "", seed),
        user,
    );
    cx.file_text(
        &magick,
        Text::tpl(
            r"C:\Apache24\htdocs\wp-content\uploads\2026\11\{w}-{d4}-1024x683.jpg",
            "",
            seed,
        ),
    );
    cx.wait_ms(200, 2_500);
    cx.end(&shell, &magick);
    cx.end(&php, &shell);
}

pub fn tomcat(cx: &mut Ctx<'_>) {
    run_one(
        cx,
        &[(36, java_requests), (10, tomcat_logs), (8, jsp_compile)],
    );
}

/// A WAR deployment a day, TeamCity builds, APM agents' lookups.
pub const TOMCAT_TIMED: &[Timed] = &[
    (1.0, 0, war_deploy),
    (8.0, feature::TEAMCITY, build_step),
    (4.0, feature::APPDYNAMICS | feature::DYNATRACE, apm_agents),
];

/// A TeamCity build agent checks in with its server and runs a build step's script.
pub(super) fn teamcity_step(cx: &mut Ctx<'_>, agent: &Proc) -> Proc {
    cx.connect(agent, &TEAMCITY_SERVER);
    cx.start(
        agent,
        &c::CMD,
        r#"cmd.exe /c "C:\BuildAgent\temp\agentTmp\custom_script{d19}.cmd""#,
        "",
        c::SVC_TEAMCITY,
    )
}

fn java_requests(cx: &mut Ctx<'_>) {
    let i = cx.rng.below(cx.procs.web.len() as u64) as usize;
    let server = cx.procs.web[i];
    for _ in 0..cx.rng.range(1, 4) {
        let client = cx.client_ip();
        let port = *cx.rng.pick(&[8080u16, 8443]);
        cx.accept(&server, port, client);
    }
    let db = *cx.rng.pick(&[POSTGRES, SQL]);
    cx.connect(&server, &db);
}

fn tomcat_logs(cx: &mut Ctx<'_>) {
    let tomcat = cx.procs.web[0];
    cx.file(
        &tomcat,
        r"{a}\logs\{=catalina|localhost|localhost_access_log|manager}.2026-11-{n18-22}.{=log|txt}",
        TOMCAT_HOME,
    );
}

fn jsp_compile(cx: &mut Ctx<'_>) {
    let tomcat = cx.procs.web[0];
    let app = *cx.rng.pick(&TOMCAT_APPS);
    cx.file(&tomcat, r"C:\Program Files\Apache Software Foundation\Tomcat 9.0\work\Catalina\localhost\{a}\org\apache\jsp\{=index|login|orders|account|error}_jsp.java", app);
    cx.file(&tomcat, r"C:\Program Files\Apache Software Foundation\Tomcat 9.0\work\Catalina\localhost\{a}\org\apache\jsp\{=index|login|orders|account|error}_jsp.class", app);
}

/// Tomcat unpacks a new WAR: JSP pages appear under webapps.
fn war_deploy(cx: &mut Ctx<'_>) {
    let tomcat = cx.procs.web[0];
    let app = *cx.rng.pick(&TOMCAT_APPS);
    for _ in 0..cx.rng.range(2, 6) {
        cx.file(&tomcat, r"C:\Program Files\Apache Software Foundation\Tomcat 9.0\webapps\{a}\{=index|login|error|WEB-INF\views\orders|WEB-INF\views\account|WEB-INF\views\report}.jsp", app);
    }
    cx.file(&tomcat, r"C:\Program Files\Apache Software Foundation\Tomcat 9.0\webapps\{a}\WEB-INF\lib\{=spring-webmvc-5.3.39|jackson-databind-2.17.2|postgresql-42.7.4|log4j-core-2.24.1}.jar", app);
}

/// APM: AppDynamics' Java agent looks up the OS version through `cmd /c ver` when the JVM
/// starts its machine snapshot; Dynatrace forks its dump helper.
fn apm_agents(cx: &mut Ctx<'_>) {
    let tomcat = cx.procs.web[0];
    if cx.host.has(feature::APPDYNAMICS) && cx.rng.chance(0.5) {
        let ver = cx.start(&tomcat, &c::CMD, r"cmd.exe /c ver", "", tomcat.user);
        cx.wait_ms(20, 200);
        cx.end(&tomcat, &ver);
        cx.connect(&tomcat, &APPDYNAMICS);
        return;
    }
    if cx.host.has(feature::DYNATRACE) {
        super::iis::dynatrace_dump(cx, &tomcat);
        return;
    }
    java_requests(cx);
}

/// A TeamCity build step on the agent: a `java.exe` child cmd script that pulls and
/// copies a WAR.
fn build_step(cx: &mut Ctx<'_>) {
    let Some(agent) = cx.procs.daemon(&c::AGENT_JAVA) else {
        return java_requests(cx);
    };
    let step = teamcity_step(cx, &agent);
    let con = cx.console(&step);
    let git = cx.start(&step, &c::GIT, r#""C:\Program Files\Git\cmd\git.exe" -c credential.helper= fetch --prune origin +refs/heads/main:refs/remotes/origin/main"#, "", c::SVC_TEAMCITY);
    cx.connect(&git, &INTERNET[9]);
    cx.wait_s(1, 20);
    cx.end(&step, &git);
    let app = *cx.rng.pick(&TOMCAT_APPS);
    cx.file(
        &step,
        r"C:\Program Files\Apache Software Foundation\Tomcat 9.0\webapps\{a}.war",
        app,
    );
    cx.end(&step, &con);
    cx.end(&agent, &step);
}

pub fn node(cx: &mut Ctx<'_>) {
    run_one(
        cx,
        &[
            (36, node_requests),
            (4, node_git),
            (6, image_exec),
            (5, image_exec_file),
            (8, pdf),
            (8, node_uploads),
        ],
    );
}

fn node_app(cx: &Ctx<'_>) -> (Proc, &'static str) {
    let node = cx.procs.web[0];
    (node, node.cmd.arg())
}

fn node_requests(cx: &mut Ctx<'_>) {
    let (node, _) = node_app(cx);
    for _ in 0..cx.rng.range(1, 4) {
        let client = cx.client_ip();
        let port = *cx.rng.pick(&[3000u16, 443]);
        cx.accept(&node, port, client);
    }
    let peer = *cx.rng.pick(&[POSTGRES, REDIS, REDIS]);
    cx.connect(&node, &peer);
}

fn node_git(cx: &mut Ctx<'_>) {
    let (node, app) = node_app(cx);
    let git = cx.start(
        &node,
        &c::GIT,
        r#""C:\Program Files\Git\cmd\git.exe" -C C:\apps\{a} rev-parse HEAD"#,
        app,
        node.user,
    );
    cx.wait_ms(10, 120);
    cx.end(&node, &git);
}

/// `child_process.exec("magick ...")`: Node runs `cmd.exe /d /s /c` on Windows.
fn image_exec(cx: &mut Ctx<'_>) {
    if !cx.host.has(feature::NODE_IMAGEMAGICK) {
        return node_uploads(cx);
    }
    let (node, app) = node_app(cx);
    let seed = cx.seed();
    let shell = cx.start_text(
        &node,
        &c::CMD,
        Text::tpl(r#"C:\Windows\system32\cmd.exe /d /s /c "magick convert C:\apps\{a}\uploads\{x16}.{=jpg|png|heic} -auto-orient -resize 800x800^> -strip C:\apps\{a}\uploads\thumbs\{1}.webp""#, app, seed),
        node.user,
    );
    let magick = cx.start_text(
        &shell,
        &c::MAGICK,
        Text::tpl(r"magick  convert C:\apps\{a}\uploads\{x16}.{=jpg|png|heic} -auto-orient -resize 800x800^> -strip C:\apps\{a}\uploads\thumbs\{1}.webp", app, seed),
        node.user,
    );
    cx.file_text(
        &magick,
        Text::tpl(r"C:\apps\{a}\uploads\thumbs\{x16}.webp", app, seed),
    );
    cx.wait_ms(150, 2_000);
    cx.end(&shell, &magick);
    cx.end(&node, &shell);
}

/// `child_process.execFile("magick.exe", ...)`: no shell in between.
fn image_exec_file(cx: &mut Ctx<'_>) {
    let (node, app) = node_app(cx);
    let magick = cx.start(&node, &c::MAGICK, r#""C:\Program Files\ImageMagick-7.1.1-Q16-HDRI\magick.exe" identify -format %wx%h C:\apps\{a}\uploads\{x16}.jpg"#, app, node.user);
    cx.wait_ms(30, 400);
    cx.end(&node, &magick);
}

/// PDFs: wkhtmltopdf, or headless Chrome through Puppeteer with its child processes.
fn pdf(cx: &mut Ctx<'_>) {
    if !cx.host.has(feature::NODE_PDF) {
        return node_requests(cx);
    }
    let (node, app) = node_app(cx);
    if cx.rng.chance(0.5) {
        let tool = cx.start(&node, &c::WKHTMLTOPDF, r#""C:\Program Files\wkhtmltopdf\bin\wkhtmltopdf.exe" --quiet --page-size A4 --margin-top 12mm http://localhost:3000/invoices/{d6}/print C:\apps\{a}\tmp\invoice-{d6}.pdf"#, app, node.user);
        cx.file(&tool, r"C:\apps\{a}\tmp\invoice-{d6}.pdf", app);
        cx.wait_ms(400, 3_000);
        cx.end(&node, &tool);
        return;
    }
    let chrome = cx.start(&node, &c::CHROME, r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --allow-pre-commit-input --disable-background-networking --disable-default-apps --headless=new --hide-scrollbars --mute-audio --no-first-run --remote-debugging-port=0 --user-data-dir=C:\Windows\TEMP\puppeteer_dev_chrome_profile-{=Xk3Lm9|7TbRf2|Hd8NcE} about:blank"#, "", node.user);
    let mut children = Vec::new();
    for _ in 0..cx.rng.range(2, 4) {
        let child = cx.start(&chrome, &c::CHROME, r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type={=renderer|gpu-process|utility} --headless=new --no-sandbox --lang=en-US --mojo-platform-channel-handle={n1000-9999} --field-trial-handle={n1000-9999},i,{d19},{d19},262144 /prefetch:{n1-8}"#, "", node.user);
        children.push(child);
    }
    cx.file(&node, r"C:\apps\{a}\tmp\report-{d6}.pdf", app);
    cx.wait_s(1, 8);
    for child in &children {
        cx.end(&chrome, child);
    }
    cx.end(&node, &chrome);
}

fn node_uploads(cx: &mut Ctx<'_>) {
    let (node, app) = node_app(cx);
    cx.file(&node, r"C:\apps\{a}\uploads\{x16}.{=jpg|png|pdf|heic}", app);
    if cx.rng.chance(0.3) {
        let api = *cx.rng.pick(&INTERNET[6..]);
        cx.connect(&node, &api);
    }
}
