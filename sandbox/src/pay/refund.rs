//! Refunds: `POST v3/refund/domestic/refunds` (idempotent per `out_refund_no`; refunds settle at once)
//! and `GET v3/refund/domestic/refunds/{out_refund_no}`.

use serde_json::{Map, Value, json};

use super::validate::*;
use super::{Ledger, TradeState};
use crate::notify::rfc3339_cst;
use crate::route::Reply;

pub(super) struct Refund {
    /// The creating request's body and the answer to it, for idempotent replays.
    request: Value,
    answer: Value,
}

impl Refund {
    /// The refund as `GET /v3/refund/domestic/refunds/{out_refund_no}` answers it: refunds settle at once.
    pub(super) fn settled(&self) -> Value {
        let mut settled = Map::new();
        for (k, v) in self.answer.as_object().into_iter().flatten() {
            match k.as_str() {
                "create_time" => {
                    settled.insert("success_time".to_owned(), v.clone());
                    settled.insert(k.clone(), v.clone());
                }
                "status" => {
                    settled.insert(k.clone(), json!("SUCCESS"));
                }
                _ => {
                    settled.insert(k.clone(), v.clone());
                }
            }
        }
        Value::Object(settled)
    }
}

impl Ledger {
    /// `POST /v3/refund/domestic/refunds`.
    pub(super) fn refund(&mut self, body: &Value, now: i64) -> Reply {
        match self.try_refund(body, now) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    fn try_refund(&mut self, body: &Value, now: i64) -> Result<Reply, Reply> {
        object(body)?;
        let transaction_id = text(body, "transaction_id", 32)?.filter(|s| !s.is_empty());
        let out_trade_no = text(body, "out_trade_no", 32)?.filter(|s| !s.is_empty());
        if transaction_id.is_none() && out_trade_no.is_none() {
            return Err(param("out_trade_no", "give transaction_id or out_trade_no"));
        }
        let out_refund_no = number(body, "out_refund_no", 1, 64, "_-|*@")?;
        text(body, "reason", 80)?;
        if lookup(body, "notify_url").is_some() {
            notify_url(body, "notify_url")?;
        }
        let refund = amount(body, "amount.refund")?;
        let total = amount(body, "amount.total")?;
        currency(body, None)?;

        if let Some(existing) = self.refunds.get(out_refund_no) {
            return Err(if existing.request == *body {
                Reply::ok(existing.answer.clone())
            } else {
                Reply::error(
                    400,
                    "INVALID_REQUEST",
                    "商户退款单号重复 (this out_refund_no was used before with other parameters)",
                )
            });
        }

        let order = match transaction_id {
            // WeChat Pay prefers `transaction_id` when both are given.
            Some(id) => self.orders.values_mut().find(|o| o.paid.as_ref().is_some_and(|p| p.transaction_id == id)),
            None => out_trade_no.and_then(|no| self.orders.get_mut(no)),
        };
        let Some(order) = order else {
            return Err(Reply::error(404, "RESOURCE_NOT_EXISTS", "订单不存在 (no such order)"));
        };
        if out_trade_no.is_some_and(|no| no != order.out_trade_no) {
            return Err(Reply::error(
                400,
                "INVALID_REQUEST",
                "transaction_id与out_trade_no不匹配 (they name different orders)",
            ));
        }
        let Some(paid) = order.paid.as_ref() else {
            return Err(Reply::error(
                400,
                "INVALID_REQUEST",
                "订单未支付，不能退款 (only a paid order can be refunded)",
            ));
        };
        if total != order.total {
            return Err(Reply::error(
                400,
                "INVALID_REQUEST",
                format!("订单金额与原订单不符 (amount.total {total} differs from the order's {})", order.total),
            ));
        }
        let refundable = order.total.saturating_sub(order.refunded);
        if refund > refundable {
            return Err(Reply::error(
                403,
                "NOT_ENOUGH",
                format!("申请退款金额超过订单可退金额 (the refund exceeds the {refundable} fen left to refund)"),
            ));
        }

        let answer = json!({
            "refund_id": format!("50000{}{}{}", random_digits(5), compact_date(now), random_digits(11)),
            "out_refund_no": out_refund_no,
            "transaction_id": paid.transaction_id,
            "out_trade_no": order.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": rfc3339_cst(now),
            "status": "PROCESSING",
            "funds_account": "AVAILABLE",
            "amount": {
                "total": order.total,
                "refund": refund,
                "payer_total": order.total,
                "payer_refund": refund,
                "settlement_refund": refund,
                "settlement_total": order.total,
                "discount_refund": 0,
                "currency": "CNY",
                "refund_fee": 0,
            },
            "promotion_detail": [],
        });
        order.refunded = order.refunded.saturating_add(refund);
        if order.refunded == order.total {
            order.state = TradeState::Refund;
        }
        self.refunds.insert(out_refund_no.to_owned(), Refund { request: body.clone(), answer: answer.clone() });
        Ok(Reply::ok(answer))
    }
}
