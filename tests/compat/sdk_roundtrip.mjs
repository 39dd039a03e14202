// Drives sfmc-sdk directly against journeystack and prints what it got back as one JSON document.
// Usage: node sdk_roundtrip.mjs <path of sfmc-sdk's lib/index.js>   (settings in JOURNEYSTACK_SDK_*)
import { pathToFileURL } from 'node:url';

const { default: SDK } = await import(pathToFileURL(process.argv[2]).href);
const env = process.env;
const refreshes = [];
const sdk = new SDK(
    {
        client_id: env.JOURNEYSTACK_SDK_CLIENT_ID,
        client_secret: env.JOURNEYSTACK_SDK_CLIENT_SECRET,
        auth_url: env.JOURNEYSTACK_SDK_AUTH_URL,
        account_id: Number(env.JOURNEYSTACK_SDK_MID),
    },
    {
        requestAttempts: 2,
        retryOnConnectionError: false,
        eventHandlers: {
            // As mcdev does: keep the granted scopes as an array, so every later token request
            // sends them back as a `scope` string.
            onRefresh: (auth) => {
                refreshes.push(typeof auth.scope);
                auth.scope = auth.scope.split(' ');
            },
        },
    }
);
const folderFields = ['ID', 'Name', 'ContentType', 'ParentFolder.ID', 'Client.ID', 'CustomerKey'];
const journeyFolders = { leftOperand: 'ContentType', operator: 'equals', rightOperand: 'journey' };
const out = {};

const auth = await sdk.auth.getAccessToken();
out.auth = {
    expires_in: auth.expires_in,
    scope: auth.scope,
    rest_instance_url: auth.rest_instance_url,
    soap_instance_url: auth.soap_instance_url,
};
out.one = await sdk.rest.get(`/interaction/v1/interactions/key:${env.JOURNEYSTACK_SDK_KEY}?extras=activities`);
out.bulk = await sdk.rest.getBulk('/interaction/v1/interactions/', Number(env.JOURNEYSTACK_SDK_PAGE_SIZE));
out.events = await sdk.rest.getBulk('/interaction/v1/eventDefinitions?extras=all', 500);
out.folders = await sdk.soap.retrieve('DataFolder', folderFields, { filter: journeyFolders });
const root = out.folders.Results.find((folder) => folder.ParentFolder.ID === 0);
out.created = await sdk.soap.create('DataFolder', {
    Name: 'sdk folder',
    ContentType: 'journey',
    ParentFolder: { ID: root.ID },
    IsActive: true,
    IsEditable: true,
    AllowChildren: true,
});
out.users = await sdk.soap.retrieve('AccountUser', ['ID', 'Name', 'Email', 'ActiveFlag'], {
    QueryAllAccounts: true,
    filter: { leftOperand: 'Email', operator: 'like', rightOperand: '@' },
});
out.emails = await sdk.soap.retrieve('Email', ['ID', 'Name']);
// A token the server does not know: SOAP answers `Token Expired`, REST 401; sfmc-sdk then fetches
// a new token (sending the scope it was granted) and tries again.
sdk.auth.authObject.access_token = 'not-a-token';
out.afterSoapExpiry = await sdk.soap.retrieve('DataFolder', folderFields, { filter: journeyFolders });
sdk.auth.authObject.access_token = 'not-a-token';
out.afterRestExpiry = await sdk.rest.get('/interaction/v1/interactions/');
try {
    await sdk.rest.get('/interaction/v1/interactions/key:no-such-journey');
} catch (error) {
    out.notFound = { message: error.message, code: error.code };
}
try {
    await sdk.rest.get('/interaction/v1/eventDefinitions/key:no-such-event?extras=all');
} catch (error) {
    // mcdev's "event not found" test: a 400 whose code sfmc-sdk leaves at axios's ERR_BAD_REQUEST.
    out.eventNotFound = { status: error.response?.status, code: error.code };
}
out.refreshes = refreshes;
process.stdout.write(JSON.stringify(out));
