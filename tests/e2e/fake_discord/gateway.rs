//! The fake's gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats and ACKs,
//! RESUME → replay + RESUMED, and dispatch of the events tests send. Sharded as Discord
//! shards: each IDENTIFY names its `shard: [id, count]`, a session gets the guilds of its
//! shard only, and the identify rate limit is checked (see `super::IDENTIFY_INTERVAL`).

use std::sync::Arc;
use std::time::Instant;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use super::{payloads, shard_of, Endpoint, IdentifyRecord, Session, Shared, WsCmd, APP_ID, IDENTIFY_SLACK, TOKEN};

pub async fn serve(listener: TcpListener, endpoint: Arc<Endpoint>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        tokio::spawn(connection(stream, endpoint.clone()));
    }
}

async fn connection(stream: TcpStream, ep: Arc<Endpoint>) {
    let s = &*ep.shared;
    // Discord's edge does not hold small frames back; Nagle's algorithm against the bot's
    // delayed ACKs would add up to 40 ms per event and measure the fake, not the bot.
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else { return };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<WsCmd>();
    let conn_id = {
        let mut i = s.lock();
        i.conn_counter += 1;
        i.conn_counter
    };
    let hello = json!({ "op": 10, "s": null, "t": null, "d": { "heartbeat_interval": 41250 } });
    if sink.send(Message::Text(hello.to_string())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            msg = source.next() => {
                let Some(Ok(msg)) = msg else { break };
                let text = match msg {
                    Message::Text(t) => t,
                    Message::Binary(b) => String::from_utf8_lossy(&b).to_string(),
                    Message::Close(frame) => {
                        let _ = sink.send(Message::Close(frame)).await;
                        break;
                    }
                    _ => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                match v["op"].as_u64() {
                    Some(1) if sink.send(Message::Text(json!({ "op": 11 }).to_string())).await.is_err() => break,
                    Some(2) => identify(&ep, &v, conn_id, tx.clone()),
                    Some(6) => resume(&ep, &v, conn_id, tx.clone()),
                    _ => {}
                }
            }
            cmd = rx.recv() => match cmd {
                Some(WsCmd::Send(text)) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                Some(WsCmd::Close(code, reason)) => {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break;
                }
                // Returning drops both halves: the TCP connection closes with no close
                // frame, like a network failure.
                Some(WsCmd::Drop) | None => return cleanup(s, conn_id),
            }
        }
    }
    cleanup(s, conn_id);
}

/// The connection is gone: its session (if any) stays, resumable, without it.
fn cleanup(s: &Shared, conn_id: u64) {
    let mut i = s.lock();
    for session in i.sessions.iter_mut().filter(|x| x.conn == Some(conn_id)) {
        session.conn = None;
        session.tx = None;
    }
    drop(i);
    s.changed.notify_waiters();
}

fn identify(ep: &Endpoint, v: &Value, conn_id: u64, tx: mpsc::UnboundedSender<WsCmd>) {
    let s = &*ep.shared;
    if v["d"]["token"].as_str() != Some(TOKEN) && v["d"]["token"].as_str() != Some(&format!("Bot {TOKEN}")) {
        s.lock().violations.push(format!("IDENTIFY with a wrong token: {}", v["d"]["token"]));
    }
    let now = Instant::now();
    let mut i = s.lock();
    let expected = i.shard_count();
    let check = super::validate::identify_shard(&v["d"], expected);
    // The rate limit counts every IDENTIFY, refused ones too, as Discord's does.
    if let (Some(limit), Some(last)) = (i.identify_limit, i.identify_log.last().cloned()) {
        let gap = now - last.at;
        if gap + IDENTIFY_SLACK < limit {
            let (a, b) = (last.shard, check.shard);
            i.violations.push(format!(
                "IDENTIFY {} ms after the previous one (shard {a:?} via {:?}, then {b:?} via {:?}): with max_concurrency 1 Discord allows one IDENTIFY per {} s",
                gap.as_millis(),
                last.via,
                ep.label,
                limit.as_secs_f64()
            ));
        }
    }
    i.identify_log.push(IdentifyRecord { at: now, shard: check.shard, via: ep.label.clone() });
    i.identifies += 1;
    i.violations.extend(check.problems.iter().map(|p| format!("IDENTIFY: {p}")));
    if let Some((code, reason)) = check.close {
        // Discord ends the connection with the close code; serenity does not reconnect.
        let _ = tx.send(WsCmd::Close(code, reason.into()));
        drop(i);
        s.changed.notify_waiters();
        return;
    }
    let (shard, count) = check.shard.unwrap_or((0, 1));
    let id = format!("session-{}", i.identifies);
    // GUILD_CREATE carries the guild's active threads, each the bot joined (it joins the ones
    // it starts) with its thread member (topics/threads.mdx, "Syncing for the current user").
    // A session gets the guilds of its own shard only.
    let guilds: Vec<Value> = i
        .guilds
        .iter()
        .filter(|g| shard_of(g.id, count) == shard)
        .map(|g| {
            let mut payload = g.payload();
            payload["threads"] = i
                .active_thread_states(g.id)
                .into_iter()
                .map(|t| {
                    let mut object = t.object();
                    if t.owner_id == APP_ID {
                        object["member"] = json!({ "join_timestamp": payloads::timestamp(t.create_timestamp), "flags": 0 });
                    }
                    object
                })
                .collect();
            payload
        })
        .collect();
    let ids: Vec<u64> = guilds.iter().filter_map(|g| g["id"].as_str()?.parse().ok()).collect();
    // A new session starts a new sequence; nothing is replayed into it.
    let mut session = Session {
        id: id.clone(),
        shard,
        count,
        intents: v["d"]["intents"].as_u64().unwrap_or(0),
        seq: 0,
        log: Vec::new(),
        conn: Some(conn_id),
        via: ep.label.clone(),
        tx: Some(tx),
    };
    let ready = payloads::ready(payloads::user(APP_ID, "partner-coach", true), APP_ID, &id, &ep.gateway_url, &ids, [shard, count]);
    session.send("READY", &ready);
    i.record_event("READY", ready);
    // To this session only: another session of the shard had them when it identified.
    for g in guilds {
        session.send("GUILD_CREATE", &g);
        i.record_event("GUILD_CREATE", g);
    }
    i.sessions.push(session);
    drop(i);
    s.changed.notify_waiters();
}

fn resume(ep: &Endpoint, v: &Value, conn_id: u64, tx: mpsc::UnboundedSender<WsCmd>) {
    let s = &*ep.shared;
    let seq = v["d"]["seq"].as_u64().unwrap_or(0);
    let mut i = s.lock();
    let Some(at) = i.sessions.iter().position(|x| v["d"]["session_id"].as_str() == Some(x.id.as_str())) else {
        // Unknown session: op 9, not resumable; the bot must identify again.
        let _ = tx.send(WsCmd::Send(json!({ "op": 9, "d": false }).to_string()));
        return;
    };
    i.resumes += 1;
    let session = &mut i.sessions[at];
    for (_, text) in session.log.iter().filter(|(n, _)| *n > seq) {
        let _ = tx.send(WsCmd::Send(text.clone()));
    }
    session.conn = Some(conn_id);
    session.via = ep.label.clone();
    session.tx = Some(tx);
    session.send("RESUMED", &json!({}));
    drop(i);
    s.changed.notify_waiters();
}
