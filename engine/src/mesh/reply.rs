//! Cross-core reply channels: a oneshot and a small bounded stream.
//!
//! Requests travel between shards over glommio's channel mesh; the answer to a request travels
//! back over one of these, created by the requester and moved inside the request. They rely on
//! glommio's support for waking a task from another executor ("foreign wake": the waker is queued
//! on the owner's notifier and the owner's ring is woken).
//!
//! Invariants:
//! - One lock per *message* (never per point); the critical sections only move a value and a
//!   waker.
//! - Dropping the sender closes the channel: the receiver sees `None` (oneshot: `Err(Canceled)`),
//!   so a shard that fails or stops can never leave a request hanging.
//! - The stream is bounded: `send` waits while `capacity` items are queued, which is the
//!   back-pressure that keeps a large query's memory bounded.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked while moving a value; the state is
    // still a plain queue, so keep going.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The sender went away without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canceled;

struct OneshotState<T> {
    value: Option<T>,
    waker: Option<Waker>,
    sender_gone: bool,
}

/// Sending half of a oneshot.
pub struct OneshotSender<T> {
    state: Arc<Mutex<OneshotState<T>>>,
}

/// Receiving half of a oneshot; a future resolving to the value.
pub struct OneshotReceiver<T> {
    state: Arc<Mutex<OneshotState<T>>>,
}

impl<T> std::fmt::Debug for OneshotSender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneshotSender")
    }
}

impl<T> std::fmt::Debug for OneshotReceiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneshotReceiver")
    }
}

/// Creates a oneshot channel.
pub fn oneshot<T>() -> (OneshotSender<T>, OneshotReceiver<T>) {
    let state = Arc::new(Mutex::new(OneshotState {
        value: None,
        waker: None,
        sender_gone: false,
    }));
    (
        OneshotSender {
            state: state.clone(),
        },
        OneshotReceiver { state },
    )
}

impl<T> OneshotSender<T> {
    /// Sends the value and wakes the receiver.
    pub fn send(self, value: T) {
        let waker = {
            let mut s = lock(&self.state);
            s.value = Some(value);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        // Drop runs next and marks the sender gone; the value is already there.
    }
}

impl<T> Drop for OneshotSender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = lock(&self.state);
            s.sender_gone = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for OneshotReceiver<T> {
    type Output = Result<T, Canceled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = lock(&self.state);
        if let Some(v) = s.value.take() {
            return Poll::Ready(Ok(v));
        }
        if s.sender_gone {
            return Poll::Ready(Err(Canceled));
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

struct StreamState<T> {
    queue: VecDeque<T>,
    capacity: usize,
    recv_waker: Option<Waker>,
    send_waker: Option<Waker>,
    sender_gone: bool,
    receiver_gone: bool,
}

/// Sending half of a bounded stream.
pub struct StreamSender<T> {
    state: Arc<Mutex<StreamState<T>>>,
}

/// Receiving half of a bounded stream.
pub struct StreamReceiver<T> {
    state: Arc<Mutex<StreamState<T>>>,
}

impl<T> std::fmt::Debug for StreamSender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamSender")
    }
}

impl<T> std::fmt::Debug for StreamReceiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamReceiver")
    }
}

/// Creates a bounded stream holding at most `capacity` (≥ 1) queued items.
pub fn stream<T>(capacity: usize) -> (StreamSender<T>, StreamReceiver<T>) {
    let state = Arc::new(Mutex::new(StreamState {
        queue: VecDeque::with_capacity(capacity.max(1)),
        capacity: capacity.max(1),
        recv_waker: None,
        send_waker: None,
        sender_gone: false,
        receiver_gone: false,
    }));
    (
        StreamSender {
            state: state.clone(),
        },
        StreamReceiver { state },
    )
}

impl<T> StreamSender<T> {
    /// Queues `item`, waiting while the stream is full. Returns `Err(item)` if the receiver is
    /// gone (the client disconnected): the producer should stop.
    pub fn send(&self, item: T) -> SendFuture<'_, T> {
        SendFuture {
            sender: self,
            item: Some(item),
        }
    }

    /// True once the receiver has been dropped.
    pub fn is_closed(&self) -> bool {
        lock(&self.state).receiver_gone
    }
}

/// Future of [`StreamSender::send`].
pub struct SendFuture<'a, T> {
    sender: &'a StreamSender<T>,
    item: Option<T>,
}

impl<T> std::fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendFuture")
    }
}

impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let waker = {
            let mut s = lock(&self.sender.state);
            let Some(item) = self.item.take() else {
                return Poll::Ready(Ok(()));
            };
            if s.receiver_gone {
                return Poll::Ready(Err(item));
            }
            if s.queue.len() >= s.capacity {
                s.send_waker = Some(cx.waker().clone());
                drop(s);
                self.item = Some(item);
                return Poll::Pending;
            }
            s.queue.push_back(item);
            s.recv_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Poll::Ready(Ok(()))
    }
}

impl<T> Drop for StreamSender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = lock(&self.state);
            s.sender_gone = true;
            s.recv_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> StreamReceiver<T> {
    /// Waits for the next item; `None` once the sender is gone and the queue is drained.
    pub fn recv(&mut self) -> RecvFuture<'_, T> {
        RecvFuture { receiver: self }
    }
}

/// Future of [`StreamReceiver::recv`].
pub struct RecvFuture<'a, T> {
    receiver: &'a mut StreamReceiver<T>,
}

impl<T> std::fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecvFuture")
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (out, waker) = {
            let mut s = lock(&self.receiver.state);
            match s.queue.pop_front() {
                Some(v) => (Poll::Ready(Some(v)), s.send_waker.take()),
                None if s.sender_gone => (Poll::Ready(None), None),
                None => {
                    s.recv_waker = Some(cx.waker().clone());
                    (Poll::Pending, None)
                }
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
        out
    }
}

impl<T> Drop for StreamReceiver<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = lock(&self.state);
            s.receiver_gone = true;
            s.queue.clear();
            s.send_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glommio::LocalExecutorBuilder;

    #[test]
    fn oneshot_crosses_executors() {
        let (tx, rx) = oneshot::<u32>();
        let a = LocalExecutorBuilder::default().spawn(move || rx).unwrap();
        let b = LocalExecutorBuilder::default()
            .spawn(move || async move {
                glommio::timer::sleep(std::time::Duration::from_millis(20)).await;
                tx.send(7);
            })
            .unwrap();
        b.join().unwrap();
        assert_eq!(a.join().unwrap(), Ok(7));
    }

    #[test]
    fn oneshot_dropped_sender_cancels() {
        let (tx, rx) = oneshot::<u32>();
        drop(tx);
        let r = LocalExecutorBuilder::default()
            .spawn(move || rx)
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(r, Err(Canceled));
    }

    #[test]
    fn stream_is_bounded_and_ordered_across_executors() {
        let (tx, mut rx) = stream::<u32>(2);
        let producer = LocalExecutorBuilder::default()
            .spawn(move || async move {
                for i in 0..100 {
                    tx.send(i).await.unwrap();
                }
            })
            .unwrap();
        let consumer = LocalExecutorBuilder::default()
            .spawn(move || async move {
                let mut got = Vec::new();
                while let Some(v) = rx.recv().await {
                    got.push(v);
                }
                got
            })
            .unwrap();
        producer.join().unwrap();
        assert_eq!(consumer.join().unwrap(), (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn stream_send_fails_when_receiver_dropped() {
        let (tx, rx) = stream::<u32>(1);
        drop(rx);
        let r = LocalExecutorBuilder::default()
            .spawn(move || async move { tx.send(1).await })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(r, Err(1));
    }
}
