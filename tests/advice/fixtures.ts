/**
 * Exchanges with Pinterest's settings endpoints, spelled as Pinterest's public client code spells
 * them (reference/pinterest.md, "The person's own privacy switches"): the web app's
 * UserSettingsResource get and update, and the API's /users/me/ with add_fields.
 */
export const SESSION = 'TWc9PSZabcdefSessionValue';

/** `data={"options":…,"context":{}}` as the web app posts it, form-encoded with `source_url`. */
export function resourceForm(options: Record<string, unknown>): string {
  return new URLSearchParams({ source_url: '/settings/privacy/', data: JSON.stringify({ options, context: {} }) }).toString();
}

/** A resource answer: `resource_response.data` holds the user's settings. */
export function resourceAnswer(data: Record<string, unknown>, status = 'success'): string {
  return JSON.stringify({ resource_response: { status, code: status === 'success' ? 0 : 1, message: 'ok', data }, client_context: { user: { username: 'jane_doe' } } });
}

/** The person's settings as the get answer carries them (username and e-mail included, as Pinterest sends them). */
export const SETTINGS_DATA = {
  id: '1122334455667788',
  username: 'jane_doe',
  email: 'jane@example.test',
  personalize_from_offsite_browsing: true,
  ads_customize_from_conversion: false,
  third_party_marketing_tracking_enabled: true,
  exclude_from_search: false,
  hide_from_news: false,
};

export const GET_URL = 'https://www.pinterest.com/resource/UserSettingsResource/get/';
export const UPDATE_URL = 'https://www.pinterest.com/resource/UserSettingsResource/update/';
export const ME_URL = 'https://api.pinterest.com/v3/users/me/?add_fields=user.personalize_from_offsite_browsing,user.ads_customize_from_conversion';

/** The API's answer to /users/me/. */
export function meAnswer(fields: Record<string, unknown>): string {
  return JSON.stringify({ status: 'success', code: 0, data: { id: '1122334455667788', username: 'jane_doe', type: 'user', ...fields } });
}

/** Headers of a first-party request from Pinterest's own settings page, logged in. */
export function ownHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'sec-fetch-site': 'same-origin',
    referer: 'https://www.pinterest.com/settings/privacy/',
    origin: 'https://www.pinterest.com',
    cookie: `_auth=1; csrftoken=abc123; _pinterest_sess=${SESSION}`,
    ...extra,
  };
}
