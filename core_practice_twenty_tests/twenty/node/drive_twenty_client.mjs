// Twenty's own published client (twenty-client-sdk) against a Twenty URL: the outside referee of the sandbox.
// Usage: TWENTY_API_URL=http://127.0.0.1:8021 TWENTY_API_KEY=... node drive_twenty_client.mjs <file>
// Uploads <file> with MetadataApiClient.uploadFile (createFileUpload -> PUT -> completeFileUpload), creates a
// person and an attachment pointing at the file with RestApiClient, reads the attachment back, and prints
// JSON {personId, attachmentId, fileId, size, url, attachedTo, fileOnRecord}. Exits non-zero on any error.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { MetadataApiClient } from 'twenty-client-sdk/metadata';
import { RestApiClient } from 'twenty-client-sdk/rest';

// STANDARD_OBJECTS.attachment.fields.file.universalIdentifier (twenty-shared standard-object.constant.ts)
const ATTACHMENT_FILE_FIELD_UID = '20202020-15db-460e-8166-c7b5d87ad4be';

const apiUrl = (process.env.TWENTY_API_URL ?? '').replace(/\/+$/, '');
const apiKey = process.env.TWENTY_API_KEY ?? '';
const filePath = process.argv[2];
if (!apiUrl || !apiKey || !filePath) {
  console.error('usage: TWENTY_API_URL=... TWENTY_API_KEY=... node drive_twenty_client.mjs <file>');
  process.exit(2);
}

// url and token passed explicitly: the SDK computes its default /metadata url when it is imported
const metadata = new MetadataApiClient({ url: `${apiUrl}/metadata`, headers: { Authorization: `Bearer ${apiKey}` } });
const rest = new RestApiClient({ baseUrl: apiUrl, token: apiKey });

const fileBuffer = await readFile(filePath);
const filename = basename(filePath);
const uploaded = await metadata.uploadFile({
  fileBuffer,
  filename,
  fieldMetadataUniversalIdentifier: ATTACHMENT_FILE_FIELD_UID,
});

const person = (await rest.post('/rest/people', { name: { firstName: 'Referee', lastName: 'Client' } })).data
  .createPerson;
const attachment = (
  await rest.post('/rest/attachments', {
    name: filename,
    file: [{ fileId: uploaded.id, label: filename }],
    targetPersonId: person.id,
  })
).data.createAttachment;
const fetched = (await rest.get(`/rest/attachments/${attachment.id}`)).data.attachment;

console.log(
  JSON.stringify({
    personId: person.id,
    attachmentId: attachment.id,
    fileId: uploaded.id,
    size: uploaded.size,
    url: uploaded.url,
    attachedTo: fetched.targetPersonId,
    fileOnRecord: (fetched.file ?? [])[0]?.fileId ?? null,
  }),
);
