//! Bills (账单): `GET v3/bill/tradebill` (交易账单) and `GET v3/bill/fundflowbill` (资金账单) answer where
//! to download the day's bill and its digest; download it with
//! [`Client::download_bill`](crate::Client::download_bill) or the chain.
//!
//! ```
//! use wechatpay_sandbox::Sandbox;
//! use wechatpay_chain::typed::bill::{BillType, HashType, QueryTradeBill};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let mut query = QueryTradeBill::new("2024-11-01");
//! query.bill_type = Some(BillType::All);
//! let bill = client.call(query)?;
//! assert_eq!(bill.hash_type, HashType::Sha1);
//! assert_eq!(bill.hash_value.len(), 40);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::typed::{Endpoint, wire_enum};

wire_enum! {
    /// `bill_type` of a trade bill.
    pub enum BillType {
        /// `ALL`: every order of the day (no refunds of them).
        All = "ALL",
        /// `SUCCESS`: the paid orders.
        Success = "SUCCESS",
        /// `REFUND`: the refunds.
        Refund = "REFUND",
        /// `RECHARGE_REFUND`: refunds of recharged coupons.
        RechargeRefund = "RECHARGE_REFUND",
        /// `ALL_SPECIAL`: every order, for bank special merchants.
        AllSpecial = "ALL_SPECIAL",
        /// `SUC_SPECIAL`: paid orders, for bank special merchants.
        SucSpecial = "SUC_SPECIAL",
        /// `REF_SPECIAL`: refunds, for bank special merchants.
        RefSpecial = "REF_SPECIAL",
    }
}

wire_enum! {
    /// `account_type` of a fund-flow bill.
    pub enum AccountType {
        /// `BASIC`: the basic account.
        Basic = "BASIC",
        /// `OPERATION`: the operating account.
        Operation = "OPERATION",
        /// `FEES`: the fees account.
        Fees = "FEES",
    }
}

wire_enum! {
    /// `tar_type`: how the bill file is packed.
    pub enum TarType {
        /// `GZIP`: gzip-compressed (the digest is of the uncompressed bill).
        Gzip = "GZIP",
    }
}

wire_enum! {
    /// `hash_type`: the digest algorithm of a bill.
    pub enum HashType {
        /// `SHA1`.
        Sha1 = "SHA1",
    }
}

/// `GET v3/bill/tradebill` (申请交易账单): the trade bill of a day; the answer is a [`BillDownload`].
#[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
#[endpoint(method = "GET", path = "v3/bill/tradebill", response = BillDownload)]
pub struct QueryTradeBill {
    /// The day, `YYYY-MM-DD` (China Standard Time), at most three months ago.
    #[query]
    pub bill_date: String,
    /// The sub-merchant (service-provider mode).
    #[query]
    pub sub_mchid: Option<String>,
    /// Which orders (default `ALL`).
    #[query]
    pub bill_type: Option<BillType>,
    /// Packing (default: plain text).
    #[query]
    pub tar_type: Option<TarType>,
}

impl QueryTradeBill {
    /// The `ALL` trade bill of `bill_date` (`YYYY-MM-DD`), plain text.
    pub fn new(bill_date: impl Into<String>) -> Self {
        QueryTradeBill { bill_date: bill_date.into(), sub_mchid: None, bill_type: None, tar_type: None }
    }
}

/// `GET v3/bill/fundflowbill` (申请资金账单): the fund-flow bill of a day; the answer is a
/// [`BillDownload`].
#[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
#[endpoint(method = "GET", path = "v3/bill/fundflowbill", response = BillDownload)]
pub struct QueryFundFlowBill {
    /// The day, `YYYY-MM-DD` (China Standard Time).
    #[query]
    pub bill_date: String,
    /// Which account (default `BASIC`).
    #[query]
    pub account_type: Option<AccountType>,
    /// Packing (default: plain text).
    #[query]
    pub tar_type: Option<TarType>,
}

impl QueryFundFlowBill {
    /// The `BASIC` fund-flow bill of `bill_date` (`YYYY-MM-DD`), plain text.
    pub fn new(bill_date: impl Into<String>) -> Self {
        QueryFundFlowBill { bill_date: bill_date.into(), account_type: None, tar_type: None }
    }
}

/// Where to download a bill and how to check it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillDownload {
    /// The digest algorithm.
    pub hash_type: HashType,
    /// The hex digest of the (uncompressed) bill.
    pub hash_value: String,
    /// The download URL (a signed `GET`, valid for 30 seconds).
    pub download_url: String,
}
