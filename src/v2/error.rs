//! The errors of the APIv2 building blocks, one enum per job: [`XmlError`] (writing and parsing XML),
//! [`SignError`] (keys, signatures, nonces), [`EcbError`] (AES-256-ECB of `req_info`) and
//! [`NotifyError`] (notifications). Response checking has its own [`V2Rejection`](super::V2Rejection).
//!
//! None of them ever holds a secret: no APIv2 key, no decrypted `req_info`, no field values of a
//! parsed document (element names and positions only). Names coming from the input are cut to
//! [`MAX_NAME_IN_ERROR`] characters.

use super::SignType;

/// Longest piece of input (an element or entity name, a parser message) an error repeats, in characters.
pub const MAX_NAME_IN_ERROR: usize = 64;

/// Cuts an input-derived name for an error message.
pub(crate) fn clip(name: &str) -> String {
    match name.char_indices().nth(MAX_NAME_IN_ERROR) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.to_owned(),
    }
}

/// Why XML could not be written or parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The input is longer than the parser's limit.
    #[error(
        "the XML document has {length} bytes, more than the limit of {limit}; APIv2 answers and \
         notifications are a few KiB (raise `Limits::max_bytes` only for a source you trust)"
    )]
    TooLarge {
        /// Bytes given.
        length: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Elements are nested deeper than the limit (the root element counts as level 1).
    #[error(
        "the XML nests elements deeper than {limit} levels; APIv2 documents are flat, so this is \
         not a WeChat Pay document (or, when writing, the value is nested too deeply)"
    )]
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// The input is not UTF-8.
    #[error("the XML is not valid UTF-8 (first bad byte at offset {position}); WeChat Pay sends UTF-8")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        position: usize,
    },
    /// The XML declaration names an encoding other than UTF-8.
    #[error("the XML declares encoding {declared:?}; only UTF-8 is supported (WeChat Pay sends UTF-8)")]
    UnsupportedEncoding {
        /// The declared encoding, cut to [`MAX_NAME_IN_ERROR`] characters.
        declared: String,
    },
    /// The input contains a character that XML 1.0 does not allow (a control character other than
    /// tab, line feed and carriage return, U+FFFE or U+FFFF).
    #[error(
        "the XML contains the character U+{code_point:04X} at byte offset {position}, which XML 1.0 \
         does not allow"
    )]
    InvalidCharacter {
        /// Byte offset of the character.
        position: usize,
        /// The character.
        code_point: u32,
    },
    /// The document has a DOCTYPE (a DTD). Refused always: DTDs are how entity expansion attacks
    /// (external entities, "billion laughs") get in, and WeChat Pay never sends one.
    #[error(
        "the XML has a DOCTYPE declaration; DTDs are refused (no entity is ever expanded and nothing \
         is fetched), and WeChat Pay never sends one, so this is not a WeChat Pay document"
    )]
    Doctype,
    /// An entity reference other than the five predefined ones (`&lt;` `&gt;` `&amp;` `&apos;`
    /// `&quot;`) or a character reference.
    #[error(
        "the XML references the entity `&{name};`; only `&lt;` `&gt;` `&amp;` `&apos;` `&quot;` and \
         numeric character references are understood (there is no DTD to define others)"
    )]
    UnknownEntity {
        /// The entity name, cut to [`MAX_NAME_IN_ERROR`] characters.
        name: String,
    },
    /// A character reference to a character XML 1.0 does not allow, or one that does not parse.
    #[error("the XML has the character reference `&{reference};`, which is not an XML 1.0 character")]
    InvalidCharRef {
        /// The reference without `&` and `;`, cut to [`MAX_NAME_IN_ERROR`] characters.
        reference: String,
    },
    /// An element name that is not an XML name.
    #[error("`{name}` is not a valid XML element name")]
    InvalidName {
        /// The name, cut to [`MAX_NAME_IN_ERROR`] characters.
        name: String,
    },
    /// An element holds both text and child elements; APIv2 fields are either one or the other.
    #[error("the element <{element}> mixes text and child elements, which APIv2 documents never do")]
    MixedContent {
        /// The element name, cut to [`MAX_NAME_IN_ERROR`] characters.
        element: String,
    },
    /// The root element holds text instead of fields.
    #[error("the root element <{element}> holds text instead of field elements")]
    RootText {
        /// The root element name, cut to [`MAX_NAME_IN_ERROR`] characters.
        element: String,
    },
    /// There is no root element (an empty document, or only whitespace, comments or a declaration).
    #[error("the XML has no root element (the body is empty or is not XML)")]
    NoRoot,
    /// Text before the root element: the body is not an XML document (an HTML error page, JSON,
    /// plain text).
    #[error(
        "the body is not an XML document: it has text before any element (at byte offset {position}); \
         WeChat Pay answers APIv2 calls with <xml>…</xml>"
    )]
    NotXml {
        /// Byte offset of the text.
        position: u64,
    },
    /// Text or a second element after the root element.
    #[error("the XML has content after its root element, at byte offset {position}")]
    OutsideRoot {
        /// Byte offset where the stray content was found.
        position: u64,
    },
    /// Any other well-formedness error, as the parser describes it.
    #[error("the XML is malformed at byte offset {position}: {reason}")]
    Malformed {
        /// Byte offset of the error.
        position: u64,
        /// What is wrong (element names at most, never field values).
        reason: String,
    },
    /// Writing: a value holds a character that XML 1.0 cannot carry at all (a control character
    /// other than tab, line feed and carriage return, U+FFFE or U+FFFF). Emitting it would make
    /// invalid XML; PHP's XMLWriter would write it anyway.
    #[error(
        "the value of `{key}` contains the character U+{code_point:04X}, which XML 1.0 cannot carry; \
         remove it (or encode the value, e.g. as base64) before sending"
    )]
    UnwritableCharacter {
        /// The key of the field, cut to [`MAX_NAME_IN_ERROR`] characters.
        key: String,
        /// The character.
        code_point: u32,
    },
    /// Writing: the root element name given is not a valid element name.
    #[error("`{name}` cannot be used as the root element name; use a name such as `xml` or `root`")]
    InvalidRootName {
        /// The name, cut to [`MAX_NAME_IN_ERROR`] characters.
        name: String,
    },
}

/// Why an APIv2 signature could not be made or did not verify, or a key was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The APIv2 key is empty.
    #[error("the APIv2 key is empty; copy the API key (API密钥) from the merchant platform")]
    EmptyKey,
    /// The APIv2 key contains whitespace or control characters.
    #[error(
        "the APIv2 key contains whitespace or control characters; APIv2 keys are 32 letters and digits \
         (read from a file? trim the line break)"
    )]
    KeyWhitespace,
    /// `sign_type` is neither `MD5` nor `HMAC-SHA256` (case-sensitive). The PHP SDK sends an empty
    /// `<sign></sign>` then, which WeChat Pay refuses.
    #[error(
        "sign_type {given:?} is not supported; use exactly \"MD5\" or \"HMAC-SHA256\" (upper case), or \
         leave sign_type out for MD5"
    )]
    UnknownSignType {
        /// The value given, cut to [`MAX_NAME_IN_ERROR`] characters.
        given: String,
    },
    /// A field to be signed is a nested element or a list. The PHP SDK signs it as the literal
    /// `Array`, a signature that covers none of the nested content; we refuse instead.
    #[error(
        "the field `{key}` is a nested element or a repeated one; APIv2 signatures cover flat string \
         fields only (the PHP SDK would sign it as the word \"Array\", leaving its content unprotected); \
         send nested data as a JSON string, as WeChat Pay's APIv2 expects"
    )]
    NestedValue {
        /// The field's key, cut to [`MAX_NAME_IN_ERROR`] characters.
        key: String,
    },
    /// The document to verify has no `sign` (or an empty one).
    #[error("the APIv2 document has no `sign` field, so it cannot be verified")]
    MissingSign,
    /// The `sign` field is not a single string (a nested or repeated element).
    #[error("the APIv2 document's `sign` is not a single text field")]
    MalformedSign,
    /// The signature does not match.
    #[error(
        "the APIv2 signature ({sign_type}) does not match: the document was altered, or the APIv2 key \
         is not this merchant's (check the API key in the merchant platform; it is not the APIv3 key)"
    )]
    Mismatch {
        /// The algorithm the `sign` length selected.
        sign_type: SignType,
    },
    /// The operating system's random source failed while making a nonce.
    #[error("the system random source failed while making a nonce_str")]
    Random,
}

/// Why AES-256-ECB (`req_info` of refund notifications) failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EcbError {
    /// The AES key is not 32 bytes.
    #[error(
        "the AES-256-ECB key must be 32 bytes, this one has {length}; for `req_info` it is the lowercase \
         hex MD5 of the APIv2 key (use `EcbKey::from_apiv2_key`)"
    )]
    KeyLength {
        /// Bytes given.
        length: usize,
    },
    /// The ciphertext is not standard base64.
    #[error("the ciphertext is not standard base64: {0}")]
    Base64(String),
    /// The decoded ciphertext is empty or not a whole number of 16-byte blocks.
    #[error(
        "the ciphertext has {length} bytes, not a positive multiple of 16; it was cut or is not an \
         AES-256-ECB ciphertext"
    )]
    Length {
        /// Decoded bytes.
        length: usize,
    },
    /// The PKCS#7 padding is wrong after decryption: almost always the wrong key.
    #[error(
        "decryption gave invalid padding: the key is wrong (for `req_info`: the APIv2 key of the merchant \
         the notification is for, not the APIv3 key) or the ciphertext was altered"
    )]
    Padding,
    /// The plaintext is not UTF-8 text.
    #[error("the decrypted req_info is not UTF-8 text")]
    NotUtf8,
}

/// Why an APIv2 notification was refused. The message includes the inner error's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body is not a parsable notification.
    #[error("the notification body is not valid XML: {0}")]
    Xml(XmlError),
    /// `return_code` is missing or not `SUCCESS`.
    #[error("the notification's return_code is {return_code:?} ({return_msg:?}), not \"SUCCESS\"")]
    ReturnCode {
        /// `return_code`, if any.
        return_code: Option<String>,
        /// `return_msg`, if any.
        return_msg: Option<String>,
    },
    /// The body has `req_info` and no `sign`: it is a refund notification.
    #[error(
        "this is a refund notification (it carries req_info and no sign); open it with \
         `decrypt_refund_notification`"
    )]
    RefundNotification,
    /// The signature is missing or wrong.
    #[error("the notification failed verification: {0}")]
    Signature(SignError),
    /// A refund notification without `req_info`.
    #[error("the refund notification has no req_info field")]
    MissingReqInfo,
    /// `req_info` could not be decrypted.
    #[error("the refund notification's req_info could not be decrypted: {0}")]
    ReqInfo(EcbError),
    /// The decrypted `req_info` is not valid XML.
    #[error("the decrypted req_info is not valid XML: {0}")]
    ReqInfoXml(XmlError),
}

impl From<XmlError> for NotifyError {
    fn from(e: XmlError) -> NotifyError {
        NotifyError::Xml(e)
    }
}
