//! Validation of the REST requests the bot sends to (fake) Discord.
//!
//! A Rust port of the oracle `shared/discord/validate.py`, in two layers:
//!
//! 1. the *spec* layer matches `METHOD path` against the `paths` of Discord's `OpenAPI` 3.1
//!    spec, checks the path and query parameters against their schemas and the JSON body
//!    against the operation's `requestBody` schema (`jsonschema`, Draft 2020-12). It has the
//!    oracle's default leniency, because Discord is lenient too: integer fields also accept
//!    strings of digits (bounds apply to them as numbers), snowflakes also accept non-negative
//!    integers, and `oneOf` is read as `anyOf`;
//! 2. the *docs* layer checks the limits that only Discord's docs state (content of at most
//!    2000 characters, embed totals, command naming, callback type vs. interaction type, ...).
//!
//! Findings the oracle reports as "warnings" (deprecations, ignored fields) are not errors
//! here and are not reported at all.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::{Location, LocationSegment};
use jsonschema::{Draft, Keyword, Registry, ValidationError};
use serde_json::{json, Map, Value};

/// Base URI under which the whole spec is registered, so `#/components/...` refs resolve.
const SPEC_URI: &str = "urn:discord-openapi-v10";
/// Replaces `type`: digit strings count as integers.
const LENIENT_TYPE: &str = "x-lenient-type";
/// Replace the numeric bounds: they also apply to digit strings, read as numbers.
const LENIENT_BOUNDS: [(&str, &str); 4] = [
    ("minimum", "x-lenient-minimum"),
    ("maximum", "x-lenient-maximum"),
    ("exclusiveMinimum", "x-lenient-exclusive-minimum"),
    ("exclusiveMaximum", "x-lenient-exclusive-maximum"),
];

// Message flags (developers/resources/message.mdx#message-object-message-flags).
const IS_COMPONENTS_V2: i128 = 1 << 15;

// Application command and option types (developers/interactions/application-commands.mdx).
const CHAT_INPUT: i64 = 1;
const PRIMARY_ENTRY_POINT: i64 = 4;
const SUB_COMMAND: i64 = 1;
const SUB_COMMAND_GROUP: i64 = 2;
const OPTION_TYPES_WITH_CHOICES: [i64; 3] = [3, 4, 10]; // STRING, INTEGER, NUMBER

/// Interaction type -> callback types that may answer it
/// (receiving-and-responding.mdx, interaction callback type table).
const CALLBACK_ALLOWED: [(u8, &[i64]); 5] =
    [(1, &[1]), (2, &[4, 5, 9, 10, 12]), (3, &[4, 5, 6, 7, 9, 10, 12]), (4, &[8]), (5, &[4, 5, 6, 7, 10, 12])];

/// Validates (method, path, JSON body) of requests against Discord's `OpenAPI` spec and docs.
///
/// Cheap to share: it is `Send + Sync`, and compiled schemas are cached per schema, so only
/// the first request of each kind pays for compiling (the spec is large).
pub struct Validator {
    registry: Registry<'static>,
    routes: Vec<Route>,
    compiled: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// One operation of the spec: a method on a path template.
struct Route {
    method: String,
    template: String,
    tokens: Vec<Token>,
    /// Sort key: fewer parameters first, then literal segments before parameters, so that
    /// `/users/@me/channels` wins over a `{user_id}` template, like the oracle's ordering.
    rank: (usize, Vec<bool>),
    operation_id: Option<String>,
    /// Path-item parameters followed by the operation's (a later entry overrides).
    params: Vec<Param>,
    body: Option<BodySpec>,
}

#[derive(Clone)]
enum Token {
    Literal(String),
    Param(String),
}

struct Param {
    location: String,
    name: String,
    schema: Value,
}

struct BodySpec {
    required: bool,
    /// `content["application/json"].schema` with its refs made absolute; `None` for
    /// operations that only take multipart or form bodies (not validated here).
    json_schema: Option<Value>,
}

/// One finding: a dotted JSON path, a Discord-style error code and a message.
struct Problem {
    path: String,
    code: &'static str,
    message: String,
}

impl Problem {
    fn new(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { path: path.into(), code, message: message.into() }
    }

    fn render(&self) -> String {
        let path = if self.path.is_empty() { "<body>" } else { &self.path };
        format!("{path}: {}", self.message)
    }
}

impl Validator {
    /// Loads the `OpenAPI` spec (the JSON text of `tests/data/discord-openapi.json`).
    ///
    /// # Panics
    ///
    /// Panics if `spec_json` is not valid JSON: this is test support, and a broken spec
    /// file must fail loudly.
    #[must_use]
    pub fn new(spec_json: &str) -> Self {
        let mut spec: Value = serde_json::from_str(spec_json).expect("the spec is valid JSON");
        make_lenient(&mut spec);
        let routes = collect_routes(&spec);
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(SPEC_URI, spec)
            .and_then(jsonschema::RegistryBuilder::prepare)
            .expect("the spec can be registered as a JSON Schema resource");
        Self { registry, routes, compiled: Mutex::new(HashMap::new()) }
    }

    /// Validates one request. `path` is like `/api/v10/channels/123/messages` (may include a
    /// query string). `body` is the JSON body (`None` for no body). `interaction_type` is the
    /// type of the interaction being answered (for `POST .../interactions/{id}/{token}/callback`).
    ///
    /// Returns the list of error messages (empty = valid). Each message starts with the JSON
    /// path of the problem, e.g. `data.embeds.0.fields.2.value: This field is required`;
    /// `<body>` stands for the body itself, `<path>.NAME` / `<query>.NAME` for parameters.
    /// An unknown route is an error: `no such route in spec: POST /api/v10/...`.
    pub fn validate(&self, method: &str, path: &str, body: Option<&Value>, interaction_type: Option<u8>) -> Vec<String> {
        let (route_path, query) = split_target(path);
        let method_lc = method.to_ascii_lowercase();
        let Some((route, captures)) = self.match_route(&method_lc, &route_path) else {
            return vec![format!("no such route in spec: {} {path}", method.to_ascii_uppercase())];
        };
        let mut errors = Vec::new();
        self.check_params(route, &captures, &query, &mut errors);
        if let Some(spec) = &route.body {
            match body {
                None if spec.required => {
                    errors.push(Problem::new("", "BASE_TYPE_REQUIRED", "request body is required"));
                }
                None => {}
                Some(body) => {
                    if let Some(schema) = &spec.json_schema {
                        self.schema_problems(schema, body, &mut errors);
                    }
                    let mut docs = Vec::new();
                    docs_rules(route.operation_id.as_deref(), body, interaction_type, &mut docs);
                    // A stricter docs limit replaces the spec's at the same field (content:
                    // 2000 vs 4000), and the docs re-checks of spec limits are not doubled.
                    let stricter: HashSet<(&str, &str)> = docs.iter().map(|p| (p.path.as_str(), p.code)).collect();
                    errors.retain(|p| !stricter.contains(&(p.path.as_str(), p.code)));
                    errors.extend(docs);
                }
            }
        }
        // An operation without a request body ignores one: the oracle only warns.
        errors.iter().map(Problem::render).collect()
    }

    fn match_route(&self, method: &str, path: &str) -> Option<(&Route, Vec<(String, String)>)> {
        self.routes.iter().filter(|r| r.method == method).find_map(|route| {
            let mut captures = Vec::new();
            match_tokens(&route.tokens, path, &mut captures).then_some((route, captures))
        })
    }

    fn check_params(&self, route: &Route, captures: &[(String, String)], query: &[(String, Vec<String>)], errors: &mut Vec<Problem>) {
        let find = |location: &str, name: &str| route.params.iter().rev().find(|p| p.location == location && p.name == name);
        for (name, value) in captures {
            if let Some(param) = find("path", name) {
                let value = Value::String(value.clone());
                self.prefixed_problems(&param.schema, &value, &format!("<path>.{name}"), errors);
            }
        }
        for (name, values) in query {
            // Unknown query parameters are ignored by Discord: a warning in the oracle.
            let Some(param) = find("query", name) else {
                continue;
            };
            for raw in values {
                match coerce_query(raw, &param.schema) {
                    Some(value) => self.prefixed_problems(&param.schema, &value, &format!("<query>.{name}"), errors),
                    None => errors.push(Problem::new(
                        format!("<query>.{name}"),
                        "BOOLEAN_TYPE_COERCE",
                        format!("Value '{raw}' is not a valid boolean"),
                    )),
                }
            }
        }
    }

    fn prefixed_problems(&self, schema: &Value, value: &Value, prefix: &str, out: &mut Vec<Problem>) {
        let mut found = Vec::new();
        self.schema_problems(schema, value, &mut found);
        for mut problem in found {
            problem.path = join_path(&[prefix, &problem.path]);
            out.push(problem);
        }
    }

    /// Spec-layer errors of `instance` under `schema`, flattened like the oracle's.
    fn schema_problems(&self, schema: &Value, instance: &Value, out: &mut Vec<Problem>) {
        let validator = match self.compiled(schema) {
            Ok(v) => v,
            Err(e) => {
                out.push(Problem::new("", "VALIDATOR_ERROR", format!("cannot compile schema: {e}")));
                return;
            }
        };
        let mut found = Vec::new();
        for error in validator.iter_errors(instance) {
            flatten(&error, &mut found);
        }
        let mut seen = HashSet::new();
        out.extend(found.into_iter().filter(|p| seen.insert((p.path.clone(), p.message.clone()))));
    }

    fn compiled(&self, schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
        let key = schema.to_string();
        // Compiling under the lock keeps concurrent first requests from compiling twice.
        let mut cache = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = cache.get(&key) {
            return Ok(Arc::clone(v));
        }
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .with_keyword(LENIENT_TYPE, lenient_type_factory)
            .with_keyword(LENIENT_BOUNDS[0].1, minimum_factory)
            .with_keyword(LENIENT_BOUNDS[1].1, maximum_factory)
            .with_keyword(LENIENT_BOUNDS[2].1, exclusive_minimum_factory)
            .with_keyword(LENIENT_BOUNDS[3].1, exclusive_maximum_factory)
            // The oracle asserts formats with Python's checkers: only these three matter in
            // the spec (int32, int64, double and nonce are annotations there).
            .should_validate_formats(true)
            .with_format("date-time", is_date_time)
            .with_format("uri", is_uri)
            .with_format("snowflake", is_snowflake)
            .build(schema)
            .map_err(|e| e.to_string())?;
        let validator = Arc::new(validator);
        cache.insert(key, Arc::clone(&validator));
        Ok(validator)
    }
}

// ====================================================================== spec preparation

/// Rewrites the spec for the oracle's lenient mode: snowflakes may be integers, integer
/// types and bounds accept digit strings, and every `oneOf` becomes `anyOf` (with digit
/// strings a value may fit two branches, and the spec README means "one of these shapes").
fn make_lenient(spec: &mut Value) {
    // Before the rewrite, so that the integer branch gets the lenient type and bounds too:
    // "12" and "007" pass as integers, "-5" fails the minimum (as in the oracle).
    if let Some(schemas) = spec.pointer_mut("/components/schemas") {
        if let Some(snowflake) = schemas.get_mut("SnowflakeType") {
            let original = snowflake.take();
            *snowflake = json!({"anyOf": [original, {"type": "integer", "minimum": 0}]});
        }
    }
    rewrite_lenient(spec);
}

fn rewrite_lenient(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if !map.contains_key("anyOf") {
                if let Some(one_of) = map.remove("oneOf") {
                    map.insert("anyOf".to_owned(), one_of);
                }
            }
            // Every `type` keyword (a string or a list of strings; a property *named* "type"
            // has an object as its value) goes to the lenient keyword, which also words its
            // errors like the oracle.
            let is_type_keyword = match map.get("type") {
                Some(Value::String(_)) => true,
                Some(Value::Array(ts)) => ts.iter().all(Value::is_string),
                _ => false,
            };
            if is_type_keyword {
                if let Some(types) = map.remove("type") {
                    map.insert(LENIENT_TYPE.to_owned(), types);
                }
            }
            for (keyword, lenient) in LENIENT_BOUNDS {
                if map.get(keyword).is_some_and(Value::is_number) {
                    if let Some(bound) = map.remove(keyword) {
                        map.insert(lenient.to_owned(), bound);
                    }
                }
            }
            map.values_mut().for_each(rewrite_lenient);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_lenient),
        _ => {}
    }
}

fn collect_routes(spec: &Value) -> Vec<Route> {
    let mut routes = Vec::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return routes;
    };
    for (template, item) in paths {
        let tokens = tokenize(template);
        let n_params = tokens.iter().filter(|t| matches!(t, Token::Param(_))).count();
        let flags: Vec<bool> = template.split('/').filter(|s| !s.is_empty()).map(|s| s.contains('{')).collect();
        let item_params = item.get("parameters").and_then(Value::as_array);
        for method in ["get", "put", "post", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let op_params = op.get("parameters").and_then(Value::as_array);
            let params = item_params
                .into_iter()
                .chain(op_params)
                .flatten()
                .filter_map(|p| {
                    Some(Param {
                        location: p.get("in")?.as_str()?.to_owned(),
                        name: p.get("name")?.as_str()?.to_owned(),
                        schema: absolute_refs(p.get("schema")?),
                    })
                })
                .collect();
            let body = op.get("requestBody").map(|rb| BodySpec {
                required: rb.get("required").is_some_and(truthy),
                json_schema: rb.pointer("/content/application~1json/schema").map(absolute_refs),
            });
            routes.push(Route {
                method: method.to_owned(),
                template: template.clone(),
                tokens: tokens.clone(),
                rank: (n_params, flags.clone()),
                operation_id: op.get("operationId").and_then(Value::as_str).map(str::to_owned),
                params,
                body,
            });
        }
    }
    routes.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.template.cmp(&b.template)));
    routes
}

/// Makes the spec's local refs (`#/components/...`) point into the registered spec.
fn absolute_refs(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("$ref", Value::String(r)) if r.starts_with('#') => (k.clone(), Value::String(format!("{SPEC_URI}{r}"))),
                    _ => (k.clone(), absolute_refs(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(absolute_refs).collect()),
        other => other.clone(),
    }
}

// ======================================================================= routing

fn tokenize(template: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        if open > 0 {
            tokens.push(Token::Literal(rest[..open].to_owned()));
        }
        tokens.push(Token::Param(rest[open + 1..close].to_owned()));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        tokens.push(Token::Literal(rest.to_owned()));
    }
    tokens
}

/// Matches like the oracle's regex `^template/?$`, where `{param}` is `[^/]+`.
fn match_tokens(tokens: &[Token], path: &str, captures: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return path.is_empty() || path == "/";
    };
    match first {
        Token::Literal(lit) => path.strip_prefix(lit.as_str()).is_some_and(|tail| match_tokens(rest, tail, captures)),
        Token::Param(name) => {
            let segment_len = path.find('/').unwrap_or(path.len());
            // Greedy with backtracking, like the regex; the boundaries are char boundaries.
            let ends: Vec<usize> = path[..segment_len].char_indices().map(|(i, c)| i + c.len_utf8()).collect();
            for &end in ends.iter().rev() {
                captures.push((name.clone(), path[..end].to_owned()));
                if match_tokens(rest, &path[end..], captures) {
                    return true;
                }
                captures.pop();
            }
            false
        }
    }
}

/// Splits a request target into the route path (API prefix removed, percent-decoded) and
/// the query parameters (grouped like Python's `parse_qs`).
fn split_target(target: &str) -> (String, Vec<(String, Vec<String>)>) {
    let target = target.split('#').next().unwrap_or_default();
    let (mut path, query) = target.split_once('?').unwrap_or((target, ""));
    for scheme in ["http://", "https://"] {
        if let Some(rest) = path.strip_prefix(scheme) {
            path = rest.find('/').map_or("", |i| &rest[i..]);
        }
    }
    // The oracle strips `(/api(/v\d+)?)?` from the front.
    if let Some(rest) = path.strip_prefix("/api") {
        path = rest;
        if let Some(version) = path.strip_prefix("/v") {
            let digits = version.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                path = &version[digits..];
            }
        }
    }
    let path = if path.is_empty() { "/".to_owned() } else { percent_decode(path) };

    let mut params: Vec<(String, Vec<String>)> = Vec::new();
    for pair in query.split('&') {
        // parse_qs drops pairs without '=' and with an empty value.
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let name = percent_decode(&name.replace('+', " "));
        let value = percent_decode(&value.replace('+', " "));
        match params.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => params.push((name, vec![value])),
        }
    }
    (path, params)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok());
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query strings are text: booleans follow developers/reference.mdx#boolean-query-strings,
/// digit strings become integers where the schema says integer. `None` = not a boolean.
fn coerce_query(raw: &str, schema: &Value) -> Option<Value> {
    let types: Vec<&str> = match schema.get(LENIENT_TYPE) {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"boolean") {
        return match raw {
            "true" | "True" | "1" => Some(Value::Bool(true)),
            "false" | "False" | "0" => Some(Value::Bool(false)),
            _ => None,
        };
    }
    if types.contains(&"integer") {
        if let Some(n) = int_string(raw).and_then(|s| s.parse::<i64>().ok()) {
            return Some(Value::from(n));
        }
    }
    Some(Value::String(raw.to_owned()))
}

// ============================================================ lenient keywords, formats

/// Python's `re.match(r"^-?[0-9]+$", s)`: `$` also matches before one final newline.
fn int_string(s: &str) -> Option<&str> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let digits = s.strip_prefix('-').unwrap_or(s);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// A number as the oracle compares it: exact for integers, float otherwise.
#[derive(Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn of_value(v: &Value) -> Option<Self> {
        if let Some(i) = v.as_i64() {
            Some(Self::Int(i.into()))
        } else if let Some(u) = v.as_u64() {
            Some(Self::Int(u.into()))
        } else if let Some(f) = v.as_f64() {
            Some(Self::Float(f))
        } else {
            // Digit strings count as numbers for the bounds (the oracle's `_num` wrapper).
            let digits = int_string(v.as_str()?)?;
            match digits.parse::<i128>() {
                Ok(i) => Some(Self::Int(i)),
                Err(_) => digits.parse::<f64>().ok().map(Self::Float),
            }
        }
    }

    fn cmp(self, other: Self) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    #[allow(clippy::cast_precision_loss)] // only for comparisons that involve a float anyway
    fn as_f64(self) -> f64 {
        match self {
            Self::Int(i) => i as f64,
            Self::Float(f) => f,
        }
    }
}

struct LenientType {
    types: Vec<String>,
}

impl LenientType {
    fn matches(&self, instance: &Value) -> bool {
        self.types.iter().any(|t| match t.as_str() {
            "null" => instance.is_null(),
            "boolean" => instance.is_boolean(),
            "object" => instance.is_object(),
            "array" => instance.is_array(),
            "string" => instance.is_string(),
            "number" => instance.is_number(),
            "integer" => match instance {
                Value::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
                Value::String(s) => int_string(s).is_some(),
                _ => false,
            },
            _ => false,
        })
    }
}

impl<'i> Keyword<'i> for LenientType {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if self.matches(instance) {
            return Ok(());
        }
        Err(ValidationError::custom(format!("Value is not of type {}.", py_list(&self.types))))
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.matches(instance)
    }
}

fn lenient_type_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _location: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let types = match value {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => return Err(ValidationError::schema("type must be a string or an array")),
    };
    Ok(Box::new(LenientType { types }))
}

#[derive(Clone, Copy)]
enum BoundKind {
    Minimum,
    Maximum,
    ExclusiveMinimum,
    ExclusiveMaximum,
}

struct LenientBound {
    kind: BoundKind,
    limit: Num,
    shown: String,
}

impl LenientBound {
    fn holds(&self, instance: &Value) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        // Booleans are not numbers to jsonschema; other non-numbers are the type's business.
        if instance.is_boolean() {
            return true;
        }
        let Some(order) = Num::of_value(instance).and_then(|v| v.cmp(self.limit)) else {
            return true;
        };
        match self.kind {
            BoundKind::Minimum => order != Less,
            BoundKind::Maximum => order != Greater,
            BoundKind::ExclusiveMinimum => order == Greater,
            BoundKind::ExclusiveMaximum => order == Less,
        }
    }
}

impl<'i> Keyword<'i> for LenientBound {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if self.holds(instance) {
            return Ok(());
        }
        let limit = &self.shown;
        Err(ValidationError::custom(match self.kind {
            BoundKind::Minimum => format!("Int value should be greater than or equal to {limit}."),
            BoundKind::Maximum => format!("Int value should be less than or equal to {limit}."),
            BoundKind::ExclusiveMinimum => format!("Value should be greater than {limit}."),
            BoundKind::ExclusiveMaximum => format!("Value should be less than {limit}."),
        }))
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.holds(instance)
    }
}

fn bound_keyword<'a>(kind: BoundKind, value: &'a Value) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let limit = match value {
        Value::Number(_) => Num::of_value(value),
        _ => None,
    }
    .ok_or_else(|| ValidationError::schema("a bound must be a number"))?;
    Ok(Box::new(LenientBound { kind, limit, shown: value.to_string() }))
}

fn minimum_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _location: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    bound_keyword(BoundKind::Minimum, value)
}

fn maximum_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _location: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    bound_keyword(BoundKind::Maximum, value)
}

fn exclusive_minimum_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _location: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    bound_keyword(BoundKind::ExclusiveMinimum, value)
}

fn exclusive_maximum_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _location: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    bound_keyword(BoundKind::ExclusiveMaximum, value)
}

/// `rfc3339_validator.validate_rfc3339(s.upper())`, which the oracle's jsonschema uses.
fn is_date_time(s: &str) -> bool {
    // The regex's `$` also matches before one final newline.
    let s = s.strip_suffix('\n').unwrap_or(s).as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        s.get(range).filter(|d| d.iter().all(u8::is_ascii_digit)).map(|d| d.iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0')))
    };
    let at = |i: usize, c: u8| s.get(i).is_some_and(|b| b.eq_ignore_ascii_case(&c));
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (digits(0..4), digits(5..7), digits(8..10), digits(11..13), digits(14..16), digits(17..19))
    else {
        return false;
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return false;
    }
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 || year == 0 {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let max_day = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=max_day).contains(&day) {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        [z] => z.eq_ignore_ascii_case(&b'Z'),
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) && (*h1 - b'0') * 10 + (*h2 - b'0') <= 23 && *m1 <= b'5'
        }
        _ => false,
    }
}

/// The oracle's minimal `uri` check: `urlsplit` finds a scheme, and a host or a path
/// (or the scheme is `attachment`).
fn is_uri(s: &str) -> bool {
    // urlsplit first drops leading C0 controls and spaces, and tabs/newlines inside.
    let cleaned: String = s.trim_start_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let Some((scheme, rest)) = cleaned.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return false;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (netloc, path) = match rest.strip_prefix("//") {
        Some(after) => after.split_at(after.find('/').unwrap_or(after.len())),
        None => ("", rest),
    };
    !netloc.is_empty() || scheme.eq_ignore_ascii_case("attachment") || !path.is_empty()
}

/// The oracle's `snowflake` format: `0|[1-9][0-9]*`.
fn is_snowflake(s: &str) -> bool {
    s == "0" || (s.starts_with(|c: char| ('1'..='9').contains(&c)) && s.bytes().all(|b| b.is_ascii_digit()))
}

// ================================================================== error flattening

fn segments(location: &Location) -> Vec<String> {
    location
        .segments()
        .map(|s| match s {
            LocationSegment::Property(p) => p.into_owned(),
            LocationSegment::Index(i) => i.to_string(),
        })
        .collect()
}

fn is_type_error(kind: &ValidationErrorKind) -> bool {
    match kind {
        ValidationErrorKind::Type { .. } => true,
        ValidationErrorKind::Custom { keyword, .. } => keyword == LENIENT_TYPE,
        _ => false,
    }
}

/// Turns an error into leaf problems. For `anyOf` the branch whose discriminator (the
/// `type` property, or the JSON type) fits the instance is reported, as the oracle does;
/// when none fits, the union failure itself is.
fn flatten(error: &ValidationError<'_>, out: &mut Vec<Problem>) {
    let (ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context }) = error.kind() else {
        return out.push(leaf_problem(error));
    };
    let base = segments(error.instance_path()).len();
    let score = |branch: &Vec<ValidationError<'static>>| -> usize {
        branch
            .iter()
            .map(|x| {
                let rel = &segments(x.instance_path())[base..];
                let mut s = 1;
                if rel.is_empty() && is_type_error(x.kind()) {
                    s += 1000; // wrong JSON type for the whole branch
                }
                let discriminator = matches!(
                    x.kind(),
                    ValidationErrorKind::Enum { .. }
                        | ValidationErrorKind::Constant { .. }
                        | ValidationErrorKind::AnyOf { .. }
                        | ValidationErrorKind::OneOfNotValid { .. }
                        | ValidationErrorKind::OneOfMultipleValid { .. }
                );
                if rel.len() == 1 && rel[0] == "type" && discriminator {
                    s += 500; // the branch is for another `type`
                }
                s
            })
            .sum()
    };
    let mut best: Option<(usize, &Vec<ValidationError<'static>>)> = None;
    for branch in context.iter().filter(|b| !b.is_empty()) {
        let s = score(branch);
        if best.is_none_or(|(b, _)| s < b) {
            best = Some((s, branch));
        }
    }
    match best {
        Some((s, branch)) if s < 500 => branch.iter().for_each(|x| flatten(x, out)),
        _ => {
            let mut problem = leaf_problem(error);
            problem.code = "UNION_TYPE_CHOICES";
            problem.message = match error.instance().as_ref() {
                Value::Object(o) => {
                    format!("Value does not match any allowed shape (type={})", py_str(o.get("type").unwrap_or(&Value::Null)))
                }
                _ => "Value does not match any allowed shape".to_owned(),
            };
            out.push(problem);
        }
    }
}

fn leaf_problem(error: &ValidationError<'_>) -> Problem {
    let mut path = segments(error.instance_path());
    let (code, message) = match error.kind() {
        ValidationErrorKind::MaxLength { limit }
        | ValidationErrorKind::MaxItems { limit }
        | ValidationErrorKind::MaxProperties { limit } => ("BASE_TYPE_MAX_LENGTH", format!("Must be {limit} or fewer in length.")),
        ValidationErrorKind::MinLength { limit } | ValidationErrorKind::MinItems { limit } => {
            ("BASE_TYPE_MIN_LENGTH", format!("Must be {limit} or more in length."))
        }
        ValidationErrorKind::Required { property } => {
            path.push(property.as_str().map_or_else(|| property.to_string(), str::to_owned));
            ("BASE_TYPE_REQUIRED", "This field is required".to_owned())
        }
        ValidationErrorKind::Enum { options } => ("BASE_TYPE_CHOICES", format!("Value must be one of {}.", py_repr(options))),
        ValidationErrorKind::Constant { expected_value } => ("BASE_TYPE_CHOICES", format!("Value must be {}.", py_str(expected_value))),
        ValidationErrorKind::Maximum { limit } => ("NUMBER_TYPE_MAX", format!("Int value should be less than or equal to {limit}.")),
        ValidationErrorKind::Minimum { limit } => ("NUMBER_TYPE_MIN", format!("Int value should be greater than or equal to {limit}.")),
        ValidationErrorKind::Type { kind } => {
            let names: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
            };
            ("BASE_TYPE_INVALID", format!("Value is not of type {}.", py_list(&names)))
        }
        ValidationErrorKind::Pattern { .. } => ("STRING_TYPE_REGEX", "String value did not match validation regex.".to_owned()),
        ValidationErrorKind::Format { format } => ("BASE_TYPE_FORMAT", format!("Not a valid {format}.")),
        ValidationErrorKind::UniqueItems => ("LIST_ITEM_VALUE_DUPLICATE", "List items must be unique.".to_owned()),
        ValidationErrorKind::Custom { keyword, message } => {
            let code = match keyword.as_str() {
                "x-lenient-minimum" => "NUMBER_TYPE_MIN",
                "x-lenient-maximum" => "NUMBER_TYPE_MAX",
                _ => "BASE_TYPE_INVALID",
            };
            (code, message.clone())
        }
        _ => ("BASE_TYPE_INVALID", error.to_string()),
    };
    Problem::new(path.join("."), code, message)
}

/// A type name, or Python's repr of a list of them, as the oracle's messages show types.
fn py_list(names: &[String]) -> String {
    match names {
        [one] => one.clone(),
        many => format!("[{}]", many.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ")),
    }
}

/// Python's `repr()` of a JSON value (close enough for messages).
fn py_repr(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        Value::Array(items) => format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!("{{{}}}", map.iter().map(|(k, v)| format!("'{k}': {}", py_repr(v))).collect::<Vec<_>>().join(", ")),
        other => py_str(other),
    }
}

/// Python's `str()` of a JSON value, for messages that quote the oracle's.
fn py_str(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => py_repr(v),
        Value::Number(n) => n.to_string(),
    }
}

// ======================================================================= docs layer

/// Collects the docs-layer errors (the oracle's `_Sink` without its warnings).
type Sink = Vec<Problem>;

fn err(out: &mut Sink, path: impl Into<String>, code: &'static str, message: impl Into<String>) {
    out.push(Problem::new(path, code, message));
}

/// The oracle's `_j`: dotted path of the non-empty parts.
fn join_path(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(".")
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn field_truthy(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).is_some_and(truthy)
}

/// The oracle's `x not in (None, "", [])`: a field that carries something.
fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// Python's `v == k` for an integer `k`: numbers by value, booleans as 0/1.
fn py_int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            #[allow(clippy::cast_possible_truncation)] // guarded by the range and fract checks
            (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
        }),
        _ => None,
    }
}

/// The oracle's `_as_int`: JSON integers and digit strings, not booleans or floats.
fn as_int(v: Option<&Value>) -> Option<i128> {
    match v? {
        Value::Number(n) => n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => {
            let digits = int_string(s)?;
            // Python ints are unbounded; saturating keeps the sign, which is all callers need.
            Some(digits.parse().unwrap_or(if digits.starts_with('-') { i128::MIN } else { i128::MAX }))
        }
        _ => None,
    }
}

/// Python's `isinstance(x, (int, float))` as a number (booleans included).
fn py_number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Discord counts characters (code points), not bytes.
fn clen(s: &str) -> usize {
    s.chars().count()
}

/// Python's `str.strip()`: Unicode whitespace plus the four ASCII separators.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

fn docs_rules(operation_id: Option<&str>, body: &Value, interaction_type: Option<u8>, out: &mut Sink) {
    match operation_id.unwrap_or_default() {
        "create_message" => {
            // A forward needs only message_reference.
            let need = match body.as_object() {
                Some(b) if field_truthy(b, "message_reference") => {
                    ["content", "embeds", "sticker_ids", "components", "poll"].iter().any(|k| field_truthy(b, k))
                }
                _ => true,
            };
            message_rules(body, out, "", need);
        }
        "execute_webhook" => message_rules(body, out, "", true),
        "update_message" | "update_original_webhook_message" | "update_webhook_message" => {
            message_rules(body, out, "", false);
        }
        "create_interaction_response" => interaction_callback_rules(body, interaction_type, out),
        "bulk_set_application_commands" => bulk_rules(body, out, false),
        "bulk_set_guild_application_commands" => bulk_rules(body, out, true),
        "create_application_command" => command_rules(body, out, "", false),
        "create_guild_application_command" => command_rules(body, out, "", true),
        "update_application_command" | "update_guild_application_command" => {
            if let Some(b) = body.as_object() {
                options_rules(b.get("options"), out, "options", 0);
            }
        }
        "create_dm" => {
            if let Some(b) = body.as_object() {
                let no_recipient = b.get("recipient_id").is_none_or(Value::is_null);
                if no_recipient && !field_truthy(b, "access_tokens") {
                    err(out, "recipient_id", "BASE_TYPE_REQUIRED", "This field is required");
                }
            }
        }
        _ => {}
    }
}

fn max_len(out: &mut Sink, path: String, value: Option<&Value>, limit: usize) {
    if let Some(Value::String(s)) = value {
        if clen(s) > limit {
            err(out, path, "BASE_TYPE_MAX_LENGTH", format!("Must be {limit} or fewer in length."));
        }
    }
}

fn max_items(out: &mut Sink, path: String, value: Option<&Value>, limit: usize) {
    if let Some(Value::Array(items)) = value {
        if items.len() > limit {
            err(out, path, "BASE_TYPE_MAX_LENGTH", format!("Must be {limit} or fewer in length."));
        }
    }
}

/// Message payload rules (developers/resources/message.mdx): content, embeds (per-field
/// limits and the 6000 total), `allowed_mentions`, components v2 and the empty message.
fn message_rules(body: &Value, out: &mut Sink, base: &str, need_payload: bool) {
    let Some(body) = body.as_object() else { return };
    if let Some(Value::String(content)) = body.get("content") {
        if clen(content) > 2000 {
            err(out, join_path(&[base, "content"]), "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
        }
    }
    let embeds_path = join_path(&[base, "embeds"]);
    max_items(out, embeds_path.clone(), body.get("embeds"), 10);
    if let Some(Value::Array(embeds)) = body.get("embeds") {
        let mut total = 0;
        for (i, embed) in embeds.iter().enumerate() {
            let Some(embed) = embed.as_object() else {
                continue;
            };
            let p = join_path(&[&embeds_path, &i.to_string()]);
            for (key, limit) in [("title", 256), ("description", 4096)] {
                if let Some(Value::String(s)) = embed.get(key) {
                    total += clen(py_strip(s));
                }
                max_len(out, join_path(&[&p, key]), embed.get(key), limit);
            }
            for (key, sub, limit) in [("footer", "text", 2048), ("author", "name", 256)] {
                if let Some(Value::String(s)) = embed.get(key).and_then(|o| o.get(sub)) {
                    total += clen(py_strip(s));
                }
                let inner = embed.get(key).filter(|o| o.is_object()).and_then(|o| o.get(sub));
                max_len(out, join_path(&[&p, key, sub]), inner, limit);
            }
            max_items(out, join_path(&[&p, "fields"]), embed.get("fields"), 25);
            let Some(Value::Array(fields)) = embed.get("fields") else {
                continue;
            };
            for (j, field) in fields.iter().enumerate() {
                let Some(field) = field.as_object() else {
                    continue;
                };
                for (key, limit) in [("name", 256), ("value", 1024)] {
                    let fp = join_path(&[&p, "fields", &j.to_string(), key]);
                    let Some(Value::String(s)) = field.get(key) else {
                        continue;
                    };
                    let stripped = py_strip(s);
                    total += clen(stripped);
                    // Observed: an empty name or value is refused with BASE_TYPE_REQUIRED.
                    if stripped.is_empty() {
                        err(out, fp.clone(), "BASE_TYPE_REQUIRED", "This field is required");
                    }
                    max_len(out, fp, field.get(key), limit);
                }
            }
        }
        if total > 6000 {
            err(out, embeds_path, "BASE_TYPE_MAX_LENGTH", "Embed size exceeds maximum size of 6000");
        }
    }
    if let Some(Value::Object(am)) = body.get("allowed_mentions") {
        if let Some(Value::Array(parse)) = am.get("parse") {
            for kind in ["users", "roles"] {
                if parse.iter().any(|p| p == kind) && field_truthy(am, kind) {
                    err(
                        out,
                        join_path(&[base, "allowed_mentions", "parse"]),
                        "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                        format!("parse:['{kind}'] and {kind}:[...] are mutually exclusive"),
                    );
                }
            }
        }
    }
    let flags = as_int(body.get("flags")).unwrap_or(0);
    components_rules(body.get("components"), flags & IS_COMPONENTS_V2 != 0, out, &join_path(&[base, "components"]));
    if flags & IS_COMPONENTS_V2 != 0 {
        for key in ["content", "embeds", "sticker_ids", "poll", "shared_client_theme"] {
            if present(body.get(key)) {
                err(out, join_path(&[base, key]), "MESSAGE_COMPONENTS_V2_EXCLUSIVE", "not allowed when IS_COMPONENTS_V2 (1<<15) is set");
            }
        }
    }
    if need_payload {
        let keys = ["content", "embeds", "sticker_ids", "components", "poll", "attachments", "shared_client_theme"];
        if !keys.iter().any(|k| present(body.get(*k))) {
            err(
                out,
                base,
                "EMPTY_MESSAGE",
                "Cannot send an empty message (need one of content, embeds, sticker_ids, components, files[n], poll)",
            );
        }
    }
}

// Component types (developers/components/reference.mdx, "Component Types").
const ACTION_ROW: i64 = 1;
const BUTTON: i64 = 2;
const SELECTS: [i64; 5] = [3, 5, 6, 7, 8]; // string, user, role, mentionable, channel
const LINK: i64 = 5;
const PREMIUM: i64 = 6;

/// Message components (developers/components/reference.mdx): without IS_COMPONENTS_V2 only
/// action rows, at most 5 ("Legacy Message Component Behavior"); a row holds 1-5 buttons or
/// one select, not both ("Action Row"); buttons follow their style's rules ("Button"); every
/// `custom_id` is unique within the message. The spec checks the lengths and enums.
fn components_rules(components: Option<&Value>, v2: bool, out: &mut Sink, p: &str) {
    let Some(Value::Array(top)) = components else { return };
    if !v2 {
        if top.len() > 5 {
            err(out, p, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.");
        }
        for (i, c) in top.iter().enumerate() {
            if c.is_object() && py_int(c.get("type")) != Some(ACTION_ROW) {
                err(
                    out,
                    join_path(&[p, &i.to_string(), "type"]),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "only action rows (type 1) are top-level components without IS_COMPONENTS_V2 (1<<15)",
                );
            }
        }
    }
    let mut seen: HashMap<String, String> = HashMap::new();
    walk_component_list(top, out, p, &mut seen);
}

fn walk_component_list(list: &[Value], out: &mut Sink, p: &str, seen: &mut HashMap<String, String>) {
    for (i, c) in list.iter().enumerate() {
        let q = join_path(&[p, &i.to_string()]);
        component_rules(c, out, &q, seen);
    }
}

fn component_rules(c: &Value, out: &mut Sink, p: &str, seen: &mut HashMap<String, String>) {
    let Some(obj) = c.as_object() else { return };
    let t = py_int(obj.get("type"));
    if let Some(Value::String(id)) = obj.get("custom_id") {
        if let Some(first) = seen.get(id) {
            err(
                out,
                join_path(&[p, "custom_id"]),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                format!("custom_id {id:?} is already used by {first}: custom_ids must be unique within a message"),
            );
        } else {
            seen.insert(id.clone(), p.to_owned());
        }
    }
    match t {
        Some(ACTION_ROW) => {
            let Some(Value::Array(children)) = obj.get("components") else { return };
            let types: Vec<Option<i64>> = children.iter().map(|c| py_int(c.get("type"))).collect();
            let buttons = types.iter().filter(|t| **t == Some(BUTTON)).count();
            let selects = types.iter().filter(|t| t.is_some_and(|t| SELECTS.contains(&t))).count();
            let cp = join_path(&[p, "components"]);
            if selects > 0 && (selects > 1 || buttons > 0) {
                err(out, cp.clone(), "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "an action row holds up to 5 buttons or a single select");
            } else if buttons > 5 {
                err(out, cp.clone(), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.");
            }
            walk_component_list(children, out, &cp, seen);
        }
        Some(BUTTON) => button_rules(obj, out, p),
        Some(t) if SELECTS.contains(&t) => {
            if !field_truthy(obj, "custom_id") {
                err(out, join_path(&[p, "custom_id"]), "BASE_TYPE_REQUIRED", "This field is required");
            }
        }
        _ => {
            // v2 layouts: a container's children, a section's accessory.
            if let Some(Value::Array(children)) = obj.get("components") {
                walk_component_list(children, out, &join_path(&[p, "components"]), seen);
            }
            if let Some(accessory) = obj.get("accessory") {
                component_rules(accessory, out, &join_path(&[p, "accessory"]), seen);
            }
        }
    }
}

/// "Non-link and non-premium buttons must have a custom_id, and cannot have a url or a
/// sku_id. Link buttons must have a url, and cannot have a custom_id. Premium buttons must
/// contain a sku_id, and cannot have a custom_id, label, url, or emoji."
fn button_rules(b: &Map<String, Value>, out: &mut Sink, p: &str) {
    let has = |k: &str| b.get(k).is_some_and(|v| !v.is_null());
    let forbid = |out: &mut Sink, k: &str, why: &str| {
        if has(k) {
            err(out, join_path(&[p, k]), "BUTTON_COMPONENT_INVALID", why.to_owned());
        }
    };
    let style = py_int(b.get("style"));
    match style {
        Some(LINK) => {
            if !field_truthy(b, "url") {
                err(out, join_path(&[p, "url"]), "BUTTON_COMPONENT_URL_REQUIRED", "a link button (style 5) needs a url");
            }
            forbid(out, "custom_id", "a link button (style 5) cannot have a custom_id");
            forbid(out, "sku_id", "a link button (style 5) cannot have a sku_id");
        }
        Some(PREMIUM) => {
            if !has("sku_id") {
                err(out, join_path(&[p, "sku_id"]), "BASE_TYPE_REQUIRED", "This field is required");
            }
            for k in ["custom_id", "label", "url", "emoji"] {
                forbid(out, k, "a premium button (style 6) has only a sku_id");
            }
        }
        Some(1..=4) => {
            if !field_truthy(b, "custom_id") {
                err(out, join_path(&[p, "custom_id"]), "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "a non-link button needs a custom_id");
            }
            forbid(out, "url", "a non-link button cannot have a url");
            forbid(out, "sku_id", "a non-link button cannot have a sku_id");
        }
        // Another style is the spec's BASE_TYPE_CHOICES.
        _ => {}
    }
    for (k, limit) in [("label", 80), ("custom_id", 100)] {
        max_len(out, join_path(&[p, k]), b.get(k), limit);
    }
}

/// POST /interactions/{id}/{token}/callback (receiving-and-responding.mdx).
fn interaction_callback_rules(body: &Value, interaction_type: Option<u8>, out: &mut Sink) {
    let Some(body) = body.as_object() else { return };
    let t = py_int(body.get("type"));
    if let (Some(itype), Some(t)) = (interaction_type, t) {
        let allowed = CALLBACK_ALLOWED.iter().find(|(i, _)| *i == itype).map(|(_, a)| *a);
        if let Some(allowed) = allowed {
            if [1, 4, 5, 6, 7, 8, 9, 10, 12].contains(&t) && !allowed.contains(&t) {
                err(
                    out,
                    "type",
                    "INTERACTION_CALLBACK_TYPE_INVALID",
                    format!(
                        "callback type {} is not valid for interaction type {itype} (allowed: {allowed:?})",
                        py_str(body.get("type").unwrap_or(&Value::Null))
                    ),
                );
            }
        }
    }
    // The oracle's `data or {}`.
    let empty = Value::Object(Map::new());
    let data = body.get("data").filter(|d| truthy(d)).unwrap_or(&empty);
    match t {
        Some(4) => message_rules(data, out, "data", true),
        Some(7) => message_rules(data, out, "data", false),
        Some(8) => {
            max_items(out, "data.choices".to_owned(), data.get("choices"), 25);
            if let Some(Value::Array(choices)) = data.get("choices") {
                for (i, choice) in choices.iter().enumerate() {
                    choice_rules(choice, out, &format!("data.choices.{i}"));
                }
            }
        }
        Some(9) => modal_rules(data, out),
        _ => {}
    }
}

fn choice_rules(choice: &Value, out: &mut Sink, p: &str) {
    if let Some(Value::String(v)) = choice.get("value") {
        if clen(v) > 100 {
            err(out, join_path(&[p, "value"]), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
        }
    }
}

fn modal_rules(data: &Value, out: &mut Sink) {
    let Some(Value::Array(rows)) = data.get("components") else {
        return;
    };
    if !(1..=5).contains(&rows.len()) {
        err(out, "data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.");
    }
    for (i, row) in rows.iter().enumerate() {
        if !row.is_object() {
            continue;
        }
        let p = format!("data.components.{i}");
        match py_int(row.get("type")) {
            // Legacy action row (deprecated in modals: only a warning in the oracle).
            Some(1) => {
                // The oracle's `row.get("components") or []`: a missing list is an empty one.
                let empty = Vec::new();
                let inner = match row.get("components").filter(|c| truthy(c)) {
                    Some(Value::Array(inner)) => inner,
                    Some(_) => continue,
                    None => &empty,
                };
                if inner.len() != 1 {
                    err(out, format!("{p}.components"), "BASE_TYPE_BAD_LENGTH", "a modal action row holds exactly one text input");
                }
                for (j, input) in inner.iter().enumerate() {
                    let q = format!("{p}.components.{j}");
                    if let Some(ti) = input.as_object() {
                        if py_int(ti.get("type")) == Some(4) && !field_truthy(ti, "label") {
                            err(out, format!("{q}.label"), "BASE_TYPE_REQUIRED", "This field is required");
                        }
                    }
                    text_input_rules(Some(input), out, &q);
                }
            }
            Some(18) => text_input_rules(row.get("component"), out, &format!("{p}.component")),
            _ => {}
        }
    }
}

fn text_input_rules(input: Option<&Value>, out: &mut Sink, p: &str) {
    let Some(ti) = input.and_then(Value::as_object) else {
        return;
    };
    if py_int(ti.get("type")) != Some(4) {
        return;
    }
    if let (Some(min), Some(max)) = (as_int(ti.get("min_length")), as_int(ti.get("max_length"))) {
        if min > max {
            err(out, format!("{p}.min_length"), "BASE_TYPE_BAD_LENGTH", "min_length must be <= max_length");
        }
    }
    if field_truthy(ti, "disabled") {
        err(out, format!("{p}.disabled"), "COMPONENT_DISABLED_IN_MODAL", "modals can not have disabled components");
    }
}

/// Command and option names: `^[-_'\p{L}\p{N}]{1,32}$` (plus the Devanagari and Thai
/// scripts, whose marks are not letters), and lowercase.
fn name_ok(name: &str) -> bool {
    let allowed = |c: char| {
        matches!(c, '-' | '_' | '\'')
            || c.is_alphabetic()
            || c.is_numeric()
            || ('\u{0900}'..='\u{097f}').contains(&c)
            || ('\u{a8e0}'..='\u{a8ff}').contains(&c)
            || ('\u{0e00}'..='\u{0e7f}').contains(&c)
    };
    (1..=32).contains(&clen(name)) && name.chars().all(allowed) && name.to_lowercase() == name
}

/// Longest of a string and its localizations (`_longest`).
fn longest(s: Option<&Value>, localizations: Option<&Value>) -> usize {
    let own = s.and_then(Value::as_str).into_iter();
    let localized = localizations.and_then(Value::as_object).into_iter().flat_map(|m| m.values().filter_map(Value::as_str));
    own.chain(localized).map(clen).max().unwrap_or(0)
}

/// The command size Discord limits to 8000 characters (`_cmd_size`).
fn command_size(obj: &Map<String, Value>) -> usize {
    let mut n =
        longest(obj.get("name"), obj.get("name_localizations")) + longest(obj.get("description"), obj.get("description_localizations"));
    if let Some(Value::Array(choices)) = obj.get("choices") {
        for choice in choices.iter().filter_map(Value::as_object) {
            n += longest(choice.get("name"), choice.get("name_localizations"));
            n += match choice.get("value") {
                None | Some(Value::Null) => 0,
                Some(Value::String(s)) => clen(s),
                Some(other) => clen(&py_str(other)),
            };
        }
    }
    if let Some(Value::Array(options)) = obj.get("options") {
        n += options.iter().filter_map(Value::as_object).map(command_size).sum::<usize>();
    }
    n
}

fn is_sub(t: Option<i64>) -> bool {
    matches!(t, Some(SUB_COMMAND | SUB_COMMAND_GROUP))
}

fn options_rules(options: Option<&Value>, out: &mut Sink, p: &str, depth: usize) {
    let Some(Value::Array(options)) = options else {
        return;
    };
    let types: Vec<Option<i64>> = options.iter().filter_map(Value::as_object).map(|o| py_int(o.get("type"))).collect();
    if types.iter().any(|t| is_sub(*t)) && types.iter().any(|t| !is_sub(*t)) {
        err(out, p, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "subcommands/groups cannot be mixed with other option types at one level");
    }
    let mut seen = HashSet::new();
    let mut optional_seen = false;
    for (i, option) in options.iter().enumerate() {
        let Some(o) = option.as_object() else {
            continue;
        };
        let q = join_path(&[p, &i.to_string()]);
        let t = py_int(o.get("type"));
        if let Some(Value::String(name)) = o.get("name") {
            if !name_ok(name) {
                err(out, format!("{q}.name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
            }
            if !seen.insert(name.as_str()) {
                err(out, format!("{q}.name"), "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Option names must be unique");
            }
        }
        if !is_sub(t) {
            if !field_truthy(o, "required") {
                optional_seen = true;
            } else if optional_seen {
                err(
                    out,
                    format!("{q}.required"),
                    "APPLICATION_COMMAND_OPTION_REQUIRED_ORDER",
                    "Required options must be placed before non-required options",
                );
            }
        }
        let has_choices = field_truthy(o, "choices");
        if has_choices && field_truthy(o, "autocomplete") {
            err(
                out,
                format!("{q}.autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES_EXCLUSIVE",
                "autocomplete may not be true if choices are present",
            );
        }
        if has_choices && !t.is_some_and(|t| OPTION_TYPES_WITH_CHOICES.contains(&t)) {
            err(
                out,
                format!("{q}.choices"),
                "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                "choices are only valid for STRING, INTEGER, NUMBER",
            );
        }
        if let Some(Value::Array(choices)) = o.get("choices") {
            for (j, choice) in choices.iter().enumerate() {
                choice_rules(choice, out, &format!("{q}.choices.{j}"));
            }
        }
        for (a, b) in [("min_length", "max_length"), ("min_value", "max_value")] {
            if let (Some(x), Some(y)) = (py_number(o.get(a)), py_number(o.get(b))) {
                if x > y {
                    err(out, format!("{q}.{a}"), "NUMBER_TYPE_MAX", format!("{a} must be <= {b}"));
                }
            }
        }
        if t == Some(SUB_COMMAND_GROUP) && depth > 0 {
            err(out, format!("{q}.type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "subcommand groups can only be top-level options");
        }
        if is_sub(t) {
            options_rules(o.get("options"), out, &format!("{q}.options"), depth + 1);
        }
    }
}

/// The oracle's `cmd.get("type") or CHAT_INPUT`.
fn command_type(cmd: &Map<String, Value>) -> Option<i64> {
    match cmd.get("type") {
        Some(t) if truthy(t) => py_int(Some(t)),
        _ => Some(CHAT_INPUT),
    }
}

fn command_rules(cmd: &Value, out: &mut Sink, p: &str, guild: bool) {
    let Some(cmd) = cmd.as_object() else { return };
    let t = command_type(cmd);
    if t == Some(CHAT_INPUT) {
        if let Some(Value::String(name)) = cmd.get("name") {
            if !name_ok(name) {
                err(out, join_path(&[p, "name"]), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
            }
        }
        let description_ok = cmd.get("description").and_then(Value::as_str).is_some_and(|d| (1..=100).contains(&clen(d)));
        if !description_ok {
            err(out, join_path(&[p, "description"]), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
        }
        options_rules(cmd.get("options"), out, &join_path(&[p, "options"]), 0);
        if command_size(cmd) > 8000 {
            err(out, p, "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (8000)");
        }
    } else {
        if field_truthy(cmd, "options") {
            err(out, join_path(&[p, "options"]), "APPLICATION_COMMAND_OPTIONS_INVALID", "options can only be set for CHAT_INPUT commands");
        }
        if t == Some(PRIMARY_ENTRY_POINT) && guild {
            err(out, join_path(&[p, "type"]), "APPLICATION_COMMAND_TYPE_INVALID", "an app cannot have a PRIMARY_ENTRY_POINT guild command");
        }
    }
    // A permission bit set serialized as a string (the oracle also takes a JSON integer).
    let dmp = cmd.get("default_member_permissions");
    if dmp.is_some_and(|v| !v.is_null()) && as_int(dmp).is_none() {
        err(out, join_path(&[p, "default_member_permissions"]), "BASE_TYPE_INVALID", "must be a permission bit set serialized as a string");
    }
}

fn bulk_rules(body: &Value, out: &mut Sink, guild: bool) {
    let Some(commands) = body.as_array() else {
        return;
    };
    let mut counts: HashMap<Option<i64>, usize> = HashMap::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, cmd) in commands.iter().enumerate() {
        let Some(obj) = cmd.as_object() else { continue };
        let index = i.to_string();
        command_rules(cmd, out, &index, guild);
        let t = command_type(obj);
        *counts.entry(t).or_default() += 1;
        // Python compares the type by value (1 == 1.0); anything else by its JSON text.
        let type_key = t.map_or_else(|| obj.get("type").map(Value::to_string).unwrap_or_default(), |t| t.to_string());
        let name_key = obj.get("name").map(Value::to_string).unwrap_or_default();
        if let Some(first) = seen.get(&(type_key.clone(), name_key.clone())) {
            err(
                out,
                format!("{index}.name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                format!("Application command names must be unique (same as {first})"),
            );
        } else {
            seen.insert((type_key, name_key), i);
        }
    }
    for (t, limit) in [(1, 100), (2, 15), (3, 15), (4, 1)] {
        let n = counts.get(&Some(t)).copied().unwrap_or(0);
        if n > limit {
            err(out, "", "MAX_APPLICATION_COMMANDS", format!("too many commands of type {t}: {n} > {limit}"));
        }
    }
}

/// What Discord checks of uploads that the spec cannot say: every `attachment://NAME` an embed
/// refers to names a file of the request, every entry of `attachments` names one too, with a
/// unique id. And what a bot must check that Discord does not: a file an embed shows as its
/// image is an image (Discord takes any bytes, and shows a broken picture). `files` are the multipart parts'
/// (file name, bytes); `body` is the JSON (for an interaction callback, its `data` is looked at).
pub fn check_attachments(body: &Value, files: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut errors = Vec::new();
    let payload = if body.get("data").is_some_and(Value::is_object) { &body["data"] } else { body };
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for (i, embed) in payload["embeds"].as_array().into_iter().flatten().enumerate() {
        for field in ["image", "thumbnail"] {
            if let Some(url) = embed[field]["url"].as_str() {
                if let Some(name) = url.strip_prefix("attachment://") {
                    match files.iter().find(|(n, _)| n == name) {
                        None => {
                            errors.push(format!("embeds[{i}].{field}.url names {url} but no file of that name is attached ({names:?})"))
                        }
                        Some((_, bytes)) if !is_image(bytes) => {
                            errors.push(format!("embeds[{i}].{field} shows {name}, which is not an image"))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }
    let mut ids = std::collections::BTreeSet::new();
    for (i, a) in payload["attachments"].as_array().into_iter().flatten().enumerate() {
        let id = a["id"].to_string();
        if !ids.insert(id.clone()) {
            errors.push(format!("attachments[{i}].id {id} is not unique"));
        }
        // An entry for a new upload (numeric id below the file count) names its file.
        if let (Some(n), Some(name)) = (a["id"].as_u64(), a["filename"].as_str()) {
            if (n as usize) < files.len() && !names.contains(&name) {
                errors.push(format!("attachments[{i}].filename {name} is not one of the files sent ({names:?})"));
            }
        }
    }
    for (name, bytes) in files {
        if bytes.len() > 10 * 1024 * 1024 {
            errors.push(format!("{name} is over the 10 MiB upload limit"));
        }
    }
    errors
}

/// PNG, JPEG, GIF or WebP, by their signatures.
fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"GIF8")
        || (bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP")
}

/// What the gateway makes of an IDENTIFY's `shard` (events/gateway-events.mdx, "Identify":
/// `shard`, "array of two integers (shard_id, num_shards)"; topics/gateway.mdx, "Sharding").
#[derive(Debug, PartialEq, Eq)]
pub struct ShardCheck {
    /// `(shard_id, num_shards)` when `shard` is a pair of integers.
    pub shard: Option<(u32, u32)>,
    /// What the bot got wrong.
    pub problems: Vec<String>,
    /// The close code and reason Discord ends the connection with, if it does.
    pub close: Option<(u16, &'static str)>,
}

/// Checks an IDENTIFY's `d.shard` against `expected`, the bot's shard count (Discord's
/// recommendation, or what the test told the bot): it must be there when the bot has more
/// than one shard (Discord closes with 4011 Sharding required), be `[id, count]` with
/// `id < count` (else 4010 Invalid shard), and `count` must be the bot's: a process with
/// another count puts the guilds on other shards than its peers do.
pub fn identify_shard(d: &Value, expected: u32) -> ShardCheck {
    let mut check = ShardCheck { shard: None, problems: Vec::new(), close: None };
    let raw = d.get("shard").filter(|v| !v.is_null());
    let Some(raw) = raw else {
        if expected > 1 {
            check.problems.push(format!("no `shard`, but the bot has {expected} shards: it must name one as [shard_id, {expected}]"));
            check.close = Some((4011, "Sharding required"));
        }
        return check;
    };
    let pair = raw.as_array().filter(|a| a.len() == 2).and_then(|a| {
        let n = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
        Some((n(&a[0])?, n(&a[1])?))
    });
    let Some((id, count)) = pair else {
        check.problems.push(format!("`shard` is {raw}, not an array of two integers [shard_id, num_shards]"));
        check.close = Some((4010, "Invalid shard"));
        return check;
    };
    check.shard = Some((id, count));
    if count == 0 || id >= count {
        check.problems.push(format!("`shard` [{id}, {count}]: the shard id must be below the number of shards"));
        check.close = Some((4010, "Invalid shard"));
    } else if count != expected {
        check.problems.push(format!(
            "`shard` [{id}, {count}]: the bot has {expected} shards (Discord's recommendation or SHARD_COUNT), so its guilds are on other shards than this session expects"
        ));
    }
    check
}

#[cfg(test)]
mod tests {
    //! Representative cases of the oracle's own suite (`shared/discord/test_validate.py`);
    //! all 70 were checked against this port while it was written.
    use super::Validator;
    use serde_json::{json, Value};
    use std::sync::OnceLock;

    const CB: &str = "/api/v10/interactions/1200000000000000005/aW50ZXJhY3Rpb246dG9rZW4/callback";
    const MSGS: &str = "/api/v10/channels/1200000000000000003/messages";
    const GCMDS: &str = "/api/v10/applications/1200000000000000001/guilds/1200000000000000002/commands";
    const ORIG: &str = "/api/v10/webhooks/1200000000000000001/aW50ZXJhY3Rpb246dG9rZW4/messages/@original";

    /// One validator for all tests: compiled schemas are cached in it.
    fn check(method: &str, path: &str, body: &Value, interaction_type: Option<u8>) -> Vec<String> {
        static VALIDATOR: OnceLock<Validator> = OnceLock::new();
        VALIDATOR.get_or_init(|| Validator::new(include_str!("../../data/discord-openapi.json"))).validate(
            method,
            path,
            Some(body),
            interaction_type,
        )
    }

    fn assert_valid(method: &str, path: &str, body: &Value, interaction_type: Option<u8>) {
        let errors = check(method, path, body, interaction_type);
        assert!(errors.is_empty(), "expected valid, got {errors:#?}");
    }

    fn assert_error(method: &str, path: &str, body: &Value, interaction_type: Option<u8>, error: &str) {
        let errors = check(method, path, body, interaction_type);
        assert!(errors.iter().any(|e| e == error), "expected {error:?} in {errors:#?}");
    }

    fn remind_cmd() -> Value {
        json!({
            "name": "remind", "description": "Set a reminder", "type": 1,
            "options": [
                {"type": 3, "name": "what", "description": "Reminder text", "required": true, "max_length": 200},
                {"type": 4, "name": "minutes", "description": "Minutes from now", "required": true,
                 "min_value": 1, "max_value": 10080},
                {"type": 3, "name": "zone", "description": "Time zone", "required": false, "autocomplete": true}
            ],
            "default_member_permissions": null, "contexts": [0, 1], "integration_types": [0], "nsfw": false
        })
    }

    fn digest_embed() -> Value {
        json!({
            "title": "Weekly digest", "description": "Top items this week", "color": 0x0058_65F2,
            "timestamp": "2026-07-20T09:00:00.000Z",
            "fields": [{"name": "Reminders sent", "value": "42", "inline": true}],
            "footer": {"text": "digest v1"}, "author": {"name": "bot"}
        })
    }

    #[test]
    fn validator_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Validator>();
    }

    #[test]
    fn callback_messages() {
        let ephemeral = json!({"type": 4, "data": {"content": "Saved!", "flags": 64}});
        assert_valid("POST", CB, &ephemeral, Some(2));
        let embeds = json!({"type": 4, "data": {"embeds": [digest_embed()], "flags": 64,
                                                "allowed_mentions": {"parse": []}}});
        assert_valid("POST", CB, &embeds, Some(2));
        let long = json!({"type": 4, "data": {"content": "é".repeat(2001)}});
        assert_error("POST", CB, &long, Some(2), "data.content: Must be 2000 or fewer in length.");
        let unknown = json!({"type": 3});
        assert_error("POST", CB, &unknown, None, "<body>: Value does not match any allowed shape (type=3)");
        let wrong_kind = json!({"type": 4, "data": {"content": "x"}});
        assert_error("POST", CB, &wrong_kind, Some(4), "type: callback type 4 is not valid for interaction type 4 (allowed: [8])");
    }

    #[test]
    fn callback_modals_and_autocomplete() {
        // serenity 0.12's action-row modal is deprecated, which is a warning, not an error.
        let legacy = json!({"type": 9, "data": {"custom_id": "feedback", "title": "Feedback", "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "subject", "style": 1, "label": "Subject",
                                        "min_length": 1, "max_length": 100, "required": true}]}]}});
        assert_valid("POST", CB, &legacy, Some(2));
        assert_error(
            "POST",
            CB,
            &legacy,
            Some(5),
            "type: callback type 9 is not valid for interaction type 5 (allowed: [4, 5, 6, 7, 10, 12])",
        );
        let choices: Vec<Value> = (0..26).map(|i| json!({"name": format!("n{i}"), "value": "v"})).collect();
        let autocomplete = json!({"type": 8, "data": {"choices": choices}});
        assert_error("POST", CB, &autocomplete, Some(4), "data.choices: Must be 25 or fewer in length.");
    }

    #[test]
    fn command_registration() {
        let digest = json!({"name": "digest", "description": "Weekly digest now",
                            "description_localizations": {"vi": "Bản tin tuần"},
                            "default_member_permissions": "32"});
        assert_valid("PUT", GCMDS, &json!([remind_cmd(), digest]), None);
        let mut upper = remind_cmd();
        upper["name"] = json!("Remind");
        assert_error("PUT", GCMDS, &json!([upper]), None, "0.name: Command name is invalid");
        let mut reordered = remind_cmd();
        reordered["options"].as_array_mut().unwrap().reverse();
        assert_error(
            "PUT",
            GCMDS,
            &json!([reordered]),
            None,
            "0.options.1.required: Required options must be placed before non-required options",
        );
        let mut huge = remind_cmd();
        huge["options"] = (0..25)
            .map(|i| {
                let choices: Vec<Value> = (0..3).map(|j| json!({"name": "n".repeat(100), "value": format!("v{j}")})).collect();
                json!({"type": 3, "name": format!("o{i}"), "description": "d".repeat(100), "choices": choices})
            })
            .collect();
        assert_error("PUT", GCMDS, &json!([huge]), None, "0: Command exceeds maximum size (8000)");
    }

    #[test]
    fn channel_messages() {
        assert_valid("POST", MSGS, &json!({"content": "hi", "nonce": "abc", "enforce_nonce": true}), None);
        let empty = "<body>: Cannot send an empty message (need one of content, embeds, sticker_ids, \
                     components, files[n], poll)";
        assert_error("POST", MSGS, &json!({}), None, empty);
        let mut field = digest_embed();
        field["fields"] = json!([{"name": "n", "value": " "}]);
        assert_error("POST", MSGS, &json!({"embeds": [field]}), None, "embeds.0.fields.0.value: This field is required");
        let mut stamp = digest_embed();
        stamp["timestamp"] = json!("yesterday");
        assert_error("POST", MSGS, &json!({"embeds": [stamp]}), None, "embeds.0.timestamp: Not a valid date-time.");
        let channel = "/api/v10/channels/general/messages";
        let regex = "<path>.channel_id: String value did not match validation regex.";
        assert_error("POST", channel, &json!({"content": "x"}), None, regex);
    }

    #[test]
    fn message_components() {
        let edit = "/api/v10/channels/1200000000000000003/messages/1200000000000000009";
        let button = |id: &str| json!({"type": 2, "style": 1, "label": "Done", "custom_id": id});
        let row = |buttons: Vec<Value>| json!({"type": 1, "components": buttons});
        let fine = json!({"content": "x", "components": [row(vec![button("a"), button("b"),
            json!({"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"})])]});
        assert_valid("POST", MSGS, &fine, None);
        assert_valid("PATCH", edit, &fine, None);
        assert_valid("POST", CB, &json!({"type": 7, "data": fine}), Some(3));

        let six_rows = json!({"content": "x", "components": (0..6).map(|i| row(vec![button(&format!("r{i}"))])).collect::<Vec<_>>()});
        assert_error("POST", MSGS, &six_rows, None, "components: Must be 5 or fewer in length.");
        let six_buttons = json!({"components": [row((0..6).map(|i| button(&format!("b{i}"))).collect())]});
        assert_error("PATCH", edit, &six_buttons, None, "components.0.components: Must be 5 or fewer in length.");
        let twice = json!({"content": "x", "components": [row(vec![button("same")]), row(vec![button("same")])]});
        let dup = "components.1.components.0.custom_id: custom_id \"same\" is already used by components.0.components.0: \
                   custom_ids must be unique within a message";
        assert_error("POST", MSGS, &twice, None, dup);
        let no_id = json!({"type": 7, "data": {"components": [row(vec![json!({"type": 2, "style": 3, "label": "Yes"})])]}});
        assert_error("POST", CB, &no_id, Some(3), "data.components.0.components.0.custom_id: a non-link button needs a custom_id");
        let link_with_id = json!({"content": "x", "components": [row(vec![json!({"type": 2, "style": 5, "url": "https://example.com", "custom_id": "l"})])]});
        assert_error(
            "POST",
            MSGS,
            &link_with_id,
            None,
            "components.0.components.0.custom_id: a link button (style 5) cannot have a custom_id",
        );
        let link_without_url = json!({"content": "x", "components": [row(vec![json!({"type": 2, "style": 5, "label": "Docs"})])]});
        assert_error("POST", MSGS, &link_without_url, None, "components.0.components.0.url: a link button (style 5) needs a url");
        let long_label =
            json!({"content": "x", "components": [row(vec![json!({"type": 2, "style": 1, "custom_id": "l", "label": "é".repeat(81)})])]});
        assert_error("POST", MSGS, &long_label, None, "components.0.components.0.label: Must be 80 or fewer in length.");
        let mixed = json!({"content": "x", "components": [row(vec![button("a"),
            json!({"type": 3, "custom_id": "pick", "options": [{"label": "A", "value": "a"}]})])]});
        assert_error("POST", MSGS, &mixed, None, "components.0.components: an action row holds up to 5 buttons or a single select");
        let bare_button = json!({"content": "x", "components": [button("a")]});
        let top = "components.0.type: only action rows (type 1) are top-level components without IS_COMPONENTS_V2 (1<<15)";
        assert_error("POST", MSGS, &bare_button, None, top);
    }

    #[test]
    fn dms_edits_and_unknown_routes() {
        // Lenient like Discord: a snowflake may be sent as an integer.
        assert_valid("POST", "/api/v10/users/@me/channels", &json!({"recipient_id": 1_200_000_000_000_000_004_u64}), None);
        assert_error("POST", "/api/v10/users/@me/channels", &json!({}), None, "recipient_id: This field is required");
        assert_valid("PATCH", ORIG, &json!({"content": null, "embeds": [digest_embed()]}), None);
        let errors = check("POST", "/api/v10/nope", &json!({}), None);
        assert_eq!(errors, ["no such route in spec: POST /api/v10/nope"]);
    }

    #[test]
    fn identify_names_its_shard_as_discord_requires() {
        use super::identify_shard;
        let d = |shard: Value| json!({ "token": "t", "intents": 1, "shard": shard });
        // serenity always sends it, [0, 1] on one shard; without it one shard is fine.
        assert_eq!(identify_shard(&d(json!([0, 1])), 1).problems, Vec::<String>::new());
        assert_eq!(identify_shard(&json!({ "token": "t" }), 1).close, None);
        let ok = identify_shard(&d(json!([1, 2])), 2);
        assert_eq!((ok.shard, ok.problems.len(), ok.close), (Some((1, 2)), 0, None));
        // Past one shard, it must be there, be a pair, and below the count.
        assert_eq!(identify_shard(&json!({ "token": "t" }), 2).close, Some((4011, "Sharding required")));
        for bad in [json!([2, 2]), json!([0, 0]), json!([0]), json!(["0", "2"]), json!([-1, 2]), json!({"id": 0})] {
            let c = identify_shard(&d(bad.clone()), 2);
            assert_eq!(c.close, Some((4010, "Invalid shard")), "{bad}");
            assert_eq!(c.problems.len(), 1, "{bad}");
        }
        // Another count than the bot's is a mistake Discord cannot see: a violation only.
        let other = identify_shard(&d(json!([0, 3])), 2);
        assert_eq!((other.shard, other.close), (Some((0, 3)), None));
        assert!(other.problems[0].contains("the bot has 2 shards"), "{:?}", other.problems);
    }
}
