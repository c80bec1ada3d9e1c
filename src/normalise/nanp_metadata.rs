//! GENERATED from the `phonenumber` crate's metadata; do not edit. Regenerate with
//! `ANNIE_REGENERATE_NANP=1 cargo test --lib generated_metadata` (the test
//! `normalise::nanp::tests::the_generated_metadata_is_the_crates`, which otherwise fails when
//! this file and the crate's database differ).
//!
//! The North American (country code 1) regions of `phonenumber::metadata::DATABASE`, as
//! `nanp.rs` reads them: copied out so that a run compiles its fast path without loading the
//! database, whose first use deserialises the whole world's metadata and compiles every regex in
//! it (most of a small run's time).

/// A number type's national-number pattern and possible lengths.
pub(crate) struct Descriptor {
    pub(crate) pattern: &'static str,
    pub(crate) lengths: &'static [u16],
}

/// One region: its leading digits and prefixes (pattern texts, as in the metadata), its general
/// descriptor and the type descriptors `nanp.rs` uses.
pub(crate) struct Region {
    pub(crate) id: &'static str,
    pub(crate) leading_digits: Option<&'static str>,
    pub(crate) international_prefix: Option<&'static str>,
    pub(crate) national_prefix: Option<&'static str>,
    pub(crate) national_prefix_for_parsing: Option<&'static str>,
    pub(crate) national_prefix_transform_rule: Option<&'static str>,
    pub(crate) general: Descriptor,
    pub(crate) premium_rate: Option<Descriptor>,
    pub(crate) toll_free: Option<Descriptor>,
    pub(crate) shared_cost: Option<Descriptor>,
    pub(crate) voip: Option<Descriptor>,
    pub(crate) personal_number: Option<Descriptor>,
    pub(crate) pager: Option<Descriptor>,
    pub(crate) uan: Option<Descriptor>,
    pub(crate) voicemail: Option<Descriptor>,
    pub(crate) fixed_line: Option<Descriptor>,
    pub(crate) mobile: Option<Descriptor>,
}

/// In the database's order (`DATABASE.region(&1)`), the order libphonenumber tries them in.
pub(crate) static REGIONS: &[Region] = &[
    Region {
        id: "US",
        leading_digits: None,
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: None,
        national_prefix_transform_rule: None,
        general: Descriptor { pattern: r"
          [2-9]\d{9}|
          3\d{6}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          (?:
            274[27]|
            (?:
              472|
              983
            )[2-47-9]
          )\d{6}|
          (?:
            2(?:
              0[1-35-9]|
              1[02-9]|
              2[03-57-9]|
              3[1459]|
              4[08]|
              5[1-46]|
              6[0279]|
              7[0269]|
              8[13]
            )|
            3(?:
              0[1-57-9]|
              1[02-9]|
              2[013-79]|
              3[0-24679]|
              4[167]|
              5[0-3]|
              6[01349]|
              8[056]
            )|
            4(?:
              0[124-9]|
              1[02-579]|
              2[3-5]|
              3[0245]|
              4[023578]|
              58|
              6[349]|
              7[0589]|
              8[04]
            )|
            5(?:
              0[1-57-9]|
              1[0235-8]|
              20|
              3[0149]|
              4[01]|
              5[179]|
              6[1-47]|
              7[0-5]|
              8[0256]
            )|
            6(?:
              0[1-35-9]|
              1[024-9]|
              2[03689]|
              3[016]|
              4[0156]|
              5[01679]|
              6[0-279]|
              78|
              8[0-269]
            )|
            7(?:
              0[1-46-8]|
              1[2-9]|
              2[04-8]|
              3[0-2478]|
              4[0378]|
              5[47]|
              6[02359]|
              7[0-59]|
              8[156]
            )|
            8(?:
              0[1-68]|
              1[02-8]|
              2[0168]|
              3[0-2589]|
              4[03578]|
              5[046-9]|
              6[02-5]|
              7[028]
            )|
            9(?:
              0[1346-9]|
              1[02-9]|
              2[0589]|
              3[0146-8]|
              4[01357-9]|
              5[12469]|
              7[0-3589]|
              8[04-69]
            )
          )[2-9]\d{6}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          (?:
            274[27]|
            (?:
              472|
              983
            )[2-47-9]
          )\d{6}|
          (?:
            2(?:
              0[1-35-9]|
              1[02-9]|
              2[03-57-9]|
              3[1459]|
              4[08]|
              5[1-46]|
              6[0279]|
              7[0269]|
              8[13]
            )|
            3(?:
              0[1-57-9]|
              1[02-9]|
              2[013-79]|
              3[0-24679]|
              4[167]|
              5[0-3]|
              6[01349]|
              8[056]
            )|
            4(?:
              0[124-9]|
              1[02-579]|
              2[3-5]|
              3[0245]|
              4[023578]|
              58|
              6[349]|
              7[0589]|
              8[04]
            )|
            5(?:
              0[1-57-9]|
              1[0235-8]|
              20|
              3[0149]|
              4[01]|
              5[179]|
              6[1-47]|
              7[0-5]|
              8[0256]
            )|
            6(?:
              0[1-35-9]|
              1[024-9]|
              2[03689]|
              3[016]|
              4[0156]|
              5[01679]|
              6[0-279]|
              78|
              8[0-269]
            )|
            7(?:
              0[1-46-8]|
              1[2-9]|
              2[04-8]|
              3[0-2478]|
              4[0378]|
              5[47]|
              6[02359]|
              7[0-59]|
              8[156]
            )|
            8(?:
              0[1-68]|
              1[02-8]|
              2[0168]|
              3[0-2589]|
              4[03578]|
              5[046-9]|
              6[02-5]|
              7[028]
            )|
            9(?:
              0[1346-9]|
              1[02-9]|
              2[0589]|
              3[0146-8]|
              4[01357-9]|
              5[12469]|
              7[0-3589]|
              8[04-69]
            )
          )[2-9]\d{6}
        ", lengths: &[10] }),
    },
    Region {
        id: "AG",
        leading_digits: Some("268"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([457]\d{6})$|1"),
        national_prefix_transform_rule: Some("268$1"),
        general: Descriptor { pattern: r"
          (?:
            268|
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: Some(Descriptor { pattern: r"26848[01]\d{4}", lengths: &[10] }),
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: Some(Descriptor { pattern: r"26840[69]\d{4}", lengths: &[10] }),
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          268(?:
            4(?:
              6[0-38]|
              84
            )|
            56[0-2]
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          268(?:
            464|
            7(?:
              1[3-9]|
              [28]\d|
              3[0246]|
              64|
              7[0-689]
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "AI",
        leading_digits: Some("264"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2457]\d{6})$|1"),
        national_prefix_transform_rule: Some("264$1"),
        general: Descriptor { pattern: r"
          (?:
            264|
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: Some(Descriptor { pattern: r"264724\d{4}", lengths: &[10] }),
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          264(?:
            292|
            4(?:
              6[12]|
              9[78]
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          264(?:
            235|
            4(?:
              69|
              7[67]
            )|
            5(?:
              3[6-9]|
              8[1-4]
            )|
            7(?:
              29|
              72
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "AS",
        leading_digits: Some("684"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([267]\d{6})$|1"),
        national_prefix_transform_rule: Some("684$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            684|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          684(?:
            274|
            6(?:
              22|
              33|
              44|
              55|
              77|
              88|
              9[19]
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          684(?:
            2(?:
              48|
              5[2468]|
              7[246]
            )|
            7(?:
              3[13]|
              70|
              82
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "BB",
        leading_digits: Some("246"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-9]\d{6})$|1"),
        national_prefix_transform_rule: Some("246$1"),
        general: Descriptor { pattern: r"
          (?:
            246|
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"
          (?:
            246976|
            900[2-9]\d\d
          )\d{4}
        ", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: Some(Descriptor { pattern: r"24631\d{5}", lengths: &[10] }),
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: Some(Descriptor { pattern: r"
          246(?:
            292|
            367|
            4(?:
              1[7-9]|
              3[01]|
              4[47-9]|
              67
            )|
            7(?:
              1[2-9]|
              2\d|
              3[016]|
              53
            )
          )\d{4}
        ", lengths: &[10] }),
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          246521[0369]\d{3}|
          246(?:
            2(?:
              2[78]|
              7[0-4]
            )|
            4(?:
              1[024-6]|
              2\d|
              3[2-9]
            )|
            5(?:
              20|
              [34]\d|
              54|
              7[1-3]
            )|
            6(?:
              2\d|
              38
            )|
            7[35]7|
            9(?:
              1[89]|
              63
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          246(?:
            (?:
              2(?:
                [3568]\d|
                4[0-57-9]
              )|
              3(?:
                5[2-9]|
                6[0-6]
              )|
              4(?:
                46|
                5\d
              )|
              69[5-7]|
              8(?:
                [2-5]\d|
                83
              )
            )\d|
            52(?:
              1[147]|
              20
            )
          )\d{3}
        ", lengths: &[10] }),
    },
    Region {
        id: "BM",
        leading_digits: Some("441"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-9]\d{6})$|1"),
        national_prefix_transform_rule: Some("441$1"),
        general: Descriptor { pattern: r"
          (?:
            441|
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          441(?:
            [46]\d\d|
            5(?:
              4\d|
              60|
              89
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          441(?:
            [2378]\d|
            5[0-39]|
            9[02]
          )\d{5}
        ", lengths: &[10] }),
    },
    Region {
        id: "BS",
        leading_digits: Some("242"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([3-8]\d{6})$|1"),
        national_prefix_transform_rule: Some("242$1"),
        general: Descriptor { pattern: r"
          (?:
            242|
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          242300\d{4}|
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: Some(Descriptor { pattern: r"242225\d{4}", lengths: &[10] }),
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          242(?:
            3(?:
              02|
              [236][1-9]|
              4[0-24-9]|
              5[0-68]|
              7[347]|
              8[0-4]|
              9[2-467]
            )|
            461|
            502|
            6(?:
              0[1-5]|
              12|
              2[013]|
              [45]0|
              7[67]|
              8[78]|
              9[89]
            )|
            7(?:
              02|
              88
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          242(?:
            3(?:
              5[79]|
              7[56]|
              95
            )|
            4(?:
              [23][1-9]|
              4[1-35-9]|
              5[1-8]|
              6[2-8]|
              7\d|
              81
            )|
            5(?:
              2[45]|
              3[35]|
              44|
              5[1-46-9]|
              65|
              77
            )|
            6[34]6|
            7(?:
              27|
              38
            )|
            8(?:
              0[1-9]|
              1[02-9]|
              2\d|
              3[0-4]|
              [89]9
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "CA",
        leading_digits: None,
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: None,
        national_prefix_transform_rule: None,
        general: Descriptor { pattern: r"
          [2-9]\d{9}|
          3\d{6}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: Some(Descriptor { pattern: r"600[2-9]\d{6}", lengths: &[10] }),
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          (?:
            5(?:
              2[125-9]|
              3[23]|
              44|
              66|
              77|
              88
            )|
            6(?:
              22|
              33
            )
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: Some(Descriptor { pattern: r"310\d{4}", lengths: &[7] }),
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          (?:
            2(?:
              04|
              [23]6|
              [48]9|
              5[07]|
              63
            )|
            3(?:
              06|
              43|
              54|
              6[578]|
              82
            )|
            4(?:
              03|
              1[68]|
              [26]8|
              3[178]|
              50|
              74
            )|
            5(?:
              06|
              1[49]|
              48|
              79|
              8[147]
            )|
            6(?:
              04|
              [18]3|
              39|
              47|
              72
            )|
            7(?:
              0[59]|
              42|
              53|
              78|
              8[02]
            )|
            8(?:
              [06]7|
              19|
              25|
              7[39]
            )|
            9(?:
              0[25]|
              42
            )
          )[2-9]\d{6}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          (?:
            2(?:
              04|
              [23]6|
              [48]9|
              5[07]|
              63
            )|
            3(?:
              06|
              43|
              54|
              6[578]|
              82
            )|
            4(?:
              03|
              1[68]|
              [26]8|
              3[178]|
              50|
              74
            )|
            5(?:
              06|
              1[49]|
              48|
              79|
              8[147]
            )|
            6(?:
              04|
              [18]3|
              39|
              47|
              72
            )|
            7(?:
              0[59]|
              42|
              53|
              78|
              8[02]
            )|
            8(?:
              [06]7|
              19|
              25|
              7[39]
            )|
            9(?:
              0[25]|
              42
            )
          )[2-9]\d{6}
        ", lengths: &[10] }),
    },
    Region {
        id: "DM",
        leading_digits: Some("767"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-7]\d{6})$|1"),
        national_prefix_transform_rule: Some("767$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            767|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          767(?:
            2(?:
              55|
              66
            )|
            4(?:
              2[01]|
              4[0-25-9]
            )|
            50[0-4]
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          767(?:
            2(?:
              [2-4689]5|
              7[5-7]
            )|
            31[5-7]|
            61[1-8]|
            70[1-6]
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "DO",
        leading_digits: Some("8001|8[024]9"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: None,
        national_prefix_transform_rule: None,
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          800(?:
            14|
            [2-9]\d
          )\d{5}|
          8[024]9[01]\d{6}|
          8(?:
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          8(?:
            [04]9[2-9]\d\d|
            29(?:
              2(?:
                [0-59]\d|
                6[04-9]|
                7[0-27]|
                8[0237-9]
              )|
              3(?:
                [0-35-9]\d|
                4[7-9]
              )|
              [45]\d\d|
              6(?:
                [0-27-9]\d|
                [3-5][1-9]|
                6[0135-8]
              )|
              7(?:
                0[013-9]|
                [1-37]\d|
                4[1-35689]|
                5[1-4689]|
                6[1-57-9]|
                8[1-79]|
                9[1-8]
              )|
              8(?:
                0[146-9]|
                1[0-48]|
                [248]\d|
                3[1-79]|
                5[01589]|
                6[013-68]|
                7[124-8]|
                9[0-8]
              )|
              9(?:
                [0-24]\d|
                3[02-46-9]|
                5[0-79]|
                60|
                7[0169]|
                8[57-9]|
                9[02-9]
              )
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"8[024]9[2-9]\d{6}", lengths: &[10] }),
    },
    Region {
        id: "GD",
        leading_digits: Some("473"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-9]\d{6})$|1"),
        national_prefix_transform_rule: Some("473$1"),
        general: Descriptor { pattern: r"
          (?:
            473|
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          473(?:
            2(?:
              3[0-2]|
              69
            )|
            3(?:
              2[89]|
              86
            )|
            4(?:
              [06]8|
              3[5-9]|
              4[0-4]|
              5[59]|
              73|
              90
            )|
            63[68]|
            7(?:
              58|
              84
            )|
            800|
            938
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          473(?:
            4(?:
              0[2-79]|
              1[04-9]|
              2[0-5]|
              49|
              5[6-8]
            )|
            5(?:
              2[01]|
              3[3-8]
            )|
            901
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "GU",
        leading_digits: Some("671"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-9]\d{6})$|1"),
        national_prefix_transform_rule: Some("671$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            671|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          671(?:
            2\d\d|
            3(?:
              00|
              3[39]|
              4[349]|
              55|
              6[26]
            )|
            4(?:
              00|
              56|
              7[1-9]|
              8[02-9]
            )|
            5(?:
              55|
              6[2-5]|
              88
            )|
            6(?:
              3[2-578]|
              4[24-9]|
              5[34]|
              78|
              8[235-9]
            )|
            7(?:
              [0479]7|
              2[0167]|
              3[45]|
              8[7-9]
            )|
            8(?:
              [2-57-9]8|
              6[478]
            )|
            9(?:
              2[29]|
              6[79]|
              7[1279]|
              8[7-9]|
              9[16-9]
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          671(?:
            2\d\d|
            3(?:
              00|
              3[39]|
              4[349]|
              55|
              6[26]
            )|
            4(?:
              00|
              56|
              7[1-9]|
              8[02-9]
            )|
            5(?:
              55|
              6[2-5]|
              88
            )|
            6(?:
              3[2-578]|
              4[24-9]|
              5[34]|
              78|
              8[235-9]
            )|
            7(?:
              [0479]7|
              2[0167]|
              3[45]|
              8[7-9]
            )|
            8(?:
              [2-57-9]8|
              6[478]
            )|
            9(?:
              2[29]|
              6[79]|
              7[1279]|
              8[7-9]|
              9[16-9]
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "JM",
        leading_digits: Some("658|876"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: None,
        national_prefix_transform_rule: None,
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            658|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          8766060\d{3}|
          (?:
            658(?:
              2(?:
                [5-8]\d|
                9[0-46-9]
              )|
              [3-9]\d\d
            )|
            876(?:
              52[35]|
              6(?:
                0[1-3579]|
                1[0235-9]|
                [23]\d|
                40|
                5[06]|
                6[2-589]|
                7[0-25-9]|
                8[04]|
                9[4-9]
              )|
              7(?:
                0[2-689]|
                [1-6]\d|
                8[056]|
                9[45]
              )|
              9(?:
                0[1-8]|
                1[02378]|
                [2-8]\d|
                9[2-468]
              )
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          (?:
            6582(?:
              [0-4]\d|
              95
            )|
            876(?:
              2(?:
                0[1-9]|
                [13-9]\d|
                2[013-9]
              )|
              [348]\d\d|
              5(?:
                0[1-9]|
                [1-9]\d
              )|
              6(?:
                4[89]|
                6[67]
              )|
              7(?:
                0[07]|
                7\d|
                8[1-47-9]|
                9[0-36-9]
              )|
              9(?:
                [01]9|
                9[0579]
              )
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "KN",
        leading_digits: Some("869"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-7]\d{6})$|1"),
        national_prefix_transform_rule: Some("869$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          869(?:
            2(?:
              29|
              36
            )|
            302|
            4(?:
              6[015-9]|
              70
            )|
            56[5-7]
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          869(?:
            48[89]|
            55[6-8]|
            66\d|
            76[02-7]
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "KY",
        leading_digits: Some("345"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-9]\d{6})$|1"),
        national_prefix_transform_rule: Some("345$1"),
        general: Descriptor { pattern: r"
          (?:
            345|
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"
          (?:
            345976|
            900[2-9]\d\d
          )\d{4}
        ", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          345(?:
            2(?:
              22|
              3[23]|
              44|
              66
            )|
            333|
            444|
            6(?:
              23|
              38|
              40
            )|
            7(?:
              30|
              4[35-79]|
              6[6-9]|
              77
            )|
            8(?:
              00|
              1[45]|
              4[89]|
              88
            )|
            9(?:
              14|
              4[035-9]
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          345(?:
            32[1-9]|
            4(?:
              1[2-6]|
              2[0-4]
            )|
            5(?:
              1[67]|
              2[5-79]|
              4[6-9]|
              50|
              76
            )|
            649|
            82[56]|
            9(?:
              1[679]|
              2[2-9]|
              3[06-9]|
              90
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "LC",
        leading_digits: Some("758"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-8]\d{6})$|1"),
        national_prefix_transform_rule: Some("758$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            758|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          758(?:
            234|
            4(?:
              30|
              5\d|
              6[2-9]|
              8[0-2]
            )|
            57[0-2]|
            (?:
              63|
              75
            )8
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          758(?:
            28[4-7]|
            384|
            4(?:
              6[01]|
              8[4-9]
            )|
            5(?:
              1[89]|
              20|
              84
            )|
            7(?:
              1[2-9]|
              2\d|
              3[0-3]
            )|
            812
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "MP",
        leading_digits: Some("670"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-9]\d{6})$|1"),
        national_prefix_transform_rule: Some("670$1"),
        general: Descriptor { pattern: r"
          [58]\d{9}|
          (?:
            67|
            90
          )0\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          670(?:
            2(?:
              3[3-7]|
              56|
              8[4-8]
            )|
            32[1-38]|
            4(?:
              33|
              8[348]
            )|
            5(?:
              32|
              55|
              88
            )|
            6(?:
              64|
              70|
              82
            )|
            78[3589]|
            8[3-9]8|
            989
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          670(?:
            2(?:
              3[3-7]|
              56|
              8[4-8]
            )|
            32[1-38]|
            4(?:
              33|
              8[348]
            )|
            5(?:
              32|
              55|
              88
            )|
            6(?:
              64|
              70|
              82
            )|
            78[3589]|
            8[3-9]8|
            989
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "MS",
        leading_digits: Some("664"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([34]\d{6})$|1"),
        national_prefix_transform_rule: Some("664$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            664|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          6644(?:
            1[0-3]|
            91
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          664(?:
            3(?:
              49|
              9[1-6]
            )|
            49[2-6]
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "PR",
        leading_digits: Some("787|939"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: None,
        national_prefix_transform_rule: None,
        general: Descriptor { pattern: r"
          (?:
            [589]\d\d|
            787
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          (?:
            787|
            939
          )[2-9]\d{6}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          (?:
            787|
            939
          )[2-9]\d{6}
        ", lengths: &[10] }),
    },
    Region {
        id: "SX",
        leading_digits: Some("721"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"(5\d{6})$|1"),
        national_prefix_transform_rule: Some("721$1"),
        general: Descriptor { pattern: r"
          7215\d{6}|
          (?:
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          7215(?:
            4[2-8]|
            8[39]|
            9[056]
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          7215(?:
            1[02]|
            2\d|
            5[034679]|
            8[0-24-8]
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "TC",
        leading_digits: Some("649"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-479]\d{6})$|1"),
        national_prefix_transform_rule: Some("649$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            649|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: Some(Descriptor { pattern: r"
          649(?:
            71[01]|
            966
          )\d{4}
        ", lengths: &[10] }),
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          649(?:
            266|
            712|
            9(?:
              4\d|
              50
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          649(?:
            2(?:
              3[129]|
              4[1-79]
            )|
            3\d\d|
            4[34][1-3]
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "TT",
        leading_digits: Some("868"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-46-8]\d{6})$|1"),
        national_prefix_transform_rule: Some("868$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          868800\d{4}|
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: Some(Descriptor { pattern: r"868619\d{4}", lengths: &[10] }),
        fixed_line: Some(Descriptor { pattern: r"
          868(?:
            2(?:
              01|
              1[5-9]|
              [23]\d|
              4[0-2]
            )|
            6(?:
              0[7-9]|
              1[02-8]|
              2[1-9]|
              [3-69]\d|
              7[0-79]
            )|
            82[124]
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          868(?:
            (?:
              2[5-9]|
              3\d
            )\d|
            4(?:
              3[0-6]|
              [6-9]\d
            )|
            6(?:
              20|
              78|
              8\d
            )|
            7(?:
              0[1-9]|
              1[02-9]|
              [2-9]\d
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "VC",
        leading_digits: Some("784"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-7]\d{6})$|1"),
        national_prefix_transform_rule: Some("784$1"),
        general: Descriptor { pattern: r"
          (?:
            [58]\d\d|
            784|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: Some(Descriptor { pattern: r"78451[0-2]\d{4}", lengths: &[10] }),
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          784(?:
            266|
            3(?:
              6[6-9]|
              7\d|
              8[0-6]
            )|
            4(?:
              38|
              5[0-36-8]|
              8[0-8]
            )|
            5(?:
              55|
              7[0-2]|
              93
            )|
            638|
            784
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          784(?:
            4(?:
              3[0-5]|
              5[45]|
              89|
              9[0-8]
            )|
            5(?:
              2[6-9]|
              3[0-4]
            )|
            720
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "VG",
        leading_digits: Some("284"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-578]\d{6})$|1"),
        national_prefix_transform_rule: Some("284$1"),
        general: Descriptor { pattern: r"
          (?:
            284|
            [58]\d\d|
            900
          )\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          284(?:
            229|
            4(?:
              22|
              9[45]
            )|
            774|
            8(?:
              52|
              6[459]
            )
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          284(?:
            245|
            3(?:
              0[0-3]|
              4[0-7]|
              68|
              9[34]
            )|
            4(?:
              4[0-6]|
              68|
              9[69]
            )|
            5(?:
              4[0-7]|
              68|
              9[69]
            )
          )\d{4}
        ", lengths: &[10] }),
    },
    Region {
        id: "VI",
        leading_digits: Some("340"),
        international_prefix: Some("011"),
        national_prefix: Some("1"),
        national_prefix_for_parsing: Some(r"([2-9]\d{6})$|1"),
        national_prefix_transform_rule: Some("340$1"),
        general: Descriptor { pattern: r"
          [58]\d{9}|
          (?:
            34|
            90
          )0\d{7}
        ", lengths: &[] },
        premium_rate: Some(Descriptor { pattern: r"900[2-9]\d{6}", lengths: &[10] }),
        toll_free: Some(Descriptor { pattern: r"
          8(?:
            00|
            33|
            44|
            55|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        shared_cost: None,
        voip: None,
        personal_number: Some(Descriptor { pattern: r"
          52(?:
            3(?:
              [2-46-9][02-9]\d|
              5(?:
                [02-46-9]\d|
                5[0-46-9]
              )
            )|
            4(?:
              [2-478][02-9]\d|
              5(?:
                [034]\d|
                2[024-9]|
                5[0-46-9]
              )|
              6(?:
                0[1-9]|
                [2-9]\d
              )|
              9(?:
                [05-9]\d|
                2[0-5]|
                49
              )
            )
          )\d{4}|
          52[34][2-9]1[02-9]\d{4}|
          5(?:
            00|
            2[125-9]|
            3[23]|
            44|
            66|
            77|
            88
          )[2-9]\d{6}
        ", lengths: &[10] }),
        pager: None,
        uan: None,
        voicemail: None,
        fixed_line: Some(Descriptor { pattern: r"
          340(?:
            2(?:
              0\d|
              10|
              2[06-8]|
              4[49]|
              77
            )|
            3(?:
              32|
              44
            )|
            4(?:
              2[23]|
              44|
              7[34]|
              89
            )|
            5(?:
              1[34]|
              55
            )|
            6(?:
              2[56]|
              4[23]|
              77|
              9[023]
            )|
            7(?:
              1[2-57-9]|
              2[57]|
              7\d
            )|
            884|
            998
          )\d{4}
        ", lengths: &[10] }),
        mobile: Some(Descriptor { pattern: r"
          340(?:
            2(?:
              0\d|
              10|
              2[06-8]|
              4[49]|
              77
            )|
            3(?:
              32|
              44
            )|
            4(?:
              2[23]|
              44|
              7[34]|
              89
            )|
            5(?:
              1[34]|
              55
            )|
            6(?:
              2[56]|
              4[23]|
              77|
              9[023]
            )|
            7(?:
              1[2-57-9]|
              2[57]|
              7\d
            )|
            884|
            998
          )\d{4}
        ", lengths: &[10] }),
    },
];
