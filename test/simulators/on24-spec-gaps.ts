// Where the simulator knowingly differs from ON24's response examples (see simulators/on24/README.md).

/**
 * Keys of ON24's examples the simulator never produces (features it does not model; listed in
 * simulators/on24/README.md), and keys it omits when there is no value (as ON24 omits empty
 * registration fields). Both only relax "required"; types and unknown keys are still checked.
 */
export const NOT_SIMULATED = {
  metadata: [
    ...["numberofsurveyspresented", "numberofsurveyresponses", "registrationpagehits", "numberofctaclicks"],
    ...["sharethiswidgetuniqueviews", "sharethiswidgettotalviews", "twitterwidgetuniqueviews"],
    ...["twitterwidgettotalviews", "numberofmeetingconversions", "numberofdemoconversions"],
    ...["numberoffreetrialrequests", "numberofdrifts", "numberofgroupchatmessagessubmitted"],
    ...["numberofresourcesavailable", "attendeeswhodownloadedresource", "numberoftestssubmitted"],
    ...["numberoftestspassed", "averagecumulativeliveminutes", "averagecumulativearchiveminutes"],
    ...["totalmediaplayerminutes", "totallivemediaplayerminutes", "totalarchivemediaplayerminutes"],
    ...["qandaemail", "eventlocation", "category", "servicetype", "sponsor", "keyword", "iseliteexpired"],
    ...["application", "industry", "eventprofile", "streamtype", "extaudienceurl", "uploadurl"],
    ...["presentermediavideofile", "presentermediaaudiofile", "partnerrefstats"],
    ...["funnelstages", "speakers", "encoders", "eventstd1", "eventstd2", "eventstd3", "eventstd4"],
    ...["eventstd5", "surveyurls", "customaccounttags", "customeventfields", "socialsharingimage"],
    ...["socialsharingabstract", "istestevent"],
  ],
  update: ["dialInNumber", "bridgeDialInNumber", "dialInPasscode"],
  registrant: [
    ...["browser", "ipaddress", "os", "engagementprediction", "campaigncode", "sourcecampaigncode"],
    "sourceeventid",
  ],
  attendee: [
    ...["twitterwidget", "calltoactions", "testwidgets", "testwidgetresult", "certificationwidgetresult"],
    ...["certificationcredit", "certificationtimestamp", "certifications", "attendancepartnerref"],
    ...["meetingconversions", "democonversions", "freetrial", "contactus", "drift", "breakouts", "calendly"],
    ...["shareidea", "reactions", "campaigncode", "sourcecampaigncode", "sourceeventid"],
  ],
};
export const OMITTED_WHEN_EMPTY = {
  // The recording's MP4 exists once the event has run (issue 15).
  metadata: ["localecountrycd", "singlefilearchive"],
  update: ["campaignCode"],
  registrant: [
    ...[
      "addressstreet1",
      "addressstreet2",
      "city",
      "state",
      "zip",
      "country",
      "homephone",
      "workphone",
      "fax",
    ],
    ...["jobfunction", "companyindustry", "companysize", "partnerref", "username", "exteventusercd", "other"],
    ...["utmsource", "utmmedium", "utmcampaign", "utmterm", "utmcontent"],
    ...[
      "notes",
      "emailformat",
      "std1",
      "std2",
      "std3",
      "std4",
      "std5",
      "std6",
      "std7",
      "std8",
      "std9",
      "std10",
    ],
  ],
  attendee: [
    ...["exteventusercd", "partnerref", "firstliveactivity", "lastliveactivity", "firstarchiveactivity"],
    ...["lastarchiveactivity", "answer"],
  ],
  session: ["exteventusercd"],
};
export const relax = (k: keyof typeof NOT_SIMULATED & keyof typeof OMITTED_WHEN_EMPTY) => [
  ...NOT_SIMULATED[k],
  ...OMITTED_WHEN_EMPTY[k],
];
