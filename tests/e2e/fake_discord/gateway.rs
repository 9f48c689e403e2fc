//! The fake's gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats and ACKs,
//! RESUME → replay + RESUMED, and dispatch of the events tests send.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::{payloads, Shared, WsCmd, APP_ID, TOKEN};

pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        tokio::spawn(connection(stream, shared.clone()));
    }
}

async fn connection(stream: TcpStream, s: Arc<Shared>) {
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
                    Some(2) => identify(&s, &v, conn_id, tx.clone()),
                    Some(6) => resume(&s, &v, conn_id, tx.clone()),
                    _ => {}
                }
            }
            cmd = rx.recv() => match cmd {
                Some(WsCmd::Send(text)) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                // Returning drops both halves: the TCP connection closes with no close
                // frame, like a network failure.
                Some(WsCmd::Drop) | None => return cleanup(&s, conn_id),
            }
        }
    }
    cleanup(&s, conn_id);
}

fn cleanup(s: &Shared, conn_id: u64) {
    let mut i = s.lock();
    if i.conn.as_ref().is_some_and(|(id, _)| *id == conn_id) {
        i.conn = None;
    }
    drop(i);
    s.changed.notify_waiters();
}

fn identify(s: &Shared, v: &Value, conn_id: u64, tx: mpsc::UnboundedSender<WsCmd>) {
    if v["d"]["token"].as_str() != Some(TOKEN) && v["d"]["token"].as_str() != Some(&format!("Bot {TOKEN}")) {
        s.lock().violations.push(format!("IDENTIFY with a wrong token: {}", v["d"]["token"]));
    }
    let (guilds, session) = {
        let mut i = s.lock();
        i.identifies += 1;
        i.intents = v["d"]["intents"].as_u64();
        i.session_id = Some(format!("session-{}", i.identifies));
        i.conn = Some((conn_id, tx));
        // A new session starts a new sequence; nothing is replayed into it.
        i.seq = 0;
        i.log.clear();
        // GUILD_CREATE carries the guild's active threads, each the bot joined (it joins
        // the ones it starts) with its thread member (topics/threads.mdx, "Syncing for the
        // current user").
        let guilds: Vec<Value> = i
            .guilds
            .iter()
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
        (guilds, i.session_id.clone().unwrap())
    };
    let ids: Vec<u64> = guilds.iter().filter_map(|g| g["id"].as_str()?.parse().ok()).collect();
    s.dispatch("READY", payloads::ready(payloads::user(APP_ID, "partner-coach", true), APP_ID, &session, &s.gateway_url, &ids));
    for g in guilds {
        s.dispatch("GUILD_CREATE", g);
    }
    s.changed.notify_waiters();
}

fn resume(s: &Shared, v: &Value, conn_id: u64, tx: mpsc::UnboundedSender<WsCmd>) {
    let seq = v["d"]["seq"].as_u64().unwrap_or(0);
    let mut i = s.lock();
    if v["d"]["session_id"].as_str() != i.session_id.as_deref() {
        // Unknown session: op 9, not resumable; the bot must identify again.
        let _ = tx.send(WsCmd::Send(json!({ "op": 9, "d": false }).to_string()));
        return;
    }
    i.resumes += 1;
    for (s_, text) in i.log.iter().filter(|(n, _)| *n > seq) {
        let _ = s_;
        let _ = tx.send(WsCmd::Send(text.clone()));
    }
    i.seq += 1;
    let resumed = json!({ "op": 0, "t": "RESUMED", "s": i.seq, "d": {} }).to_string();
    let seq_now = i.seq;
    i.log.push((seq_now, resumed.clone()));
    let _ = tx.send(WsCmd::Send(resumed));
    i.conn = Some((conn_id, tx));
    drop(i);
    s.changed.notify_waiters();
}
