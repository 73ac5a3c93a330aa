// One Azure AI Content Safety account: the crisis classifier's second opinion (the app's
// CONTENT_SAFETY_ENDPOINT). Keyless: the app calls it with its managed identity (role
// Cognitive Services User, access-content-safety.bicep); local (key) auth is off, so no key
// exists to leak or rotate.

@description('UK region for the account (each app region gets its own, so a message is analysed where it is answered).')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Account name, also its custom subdomain (globally unique; managed identity calls need it).')
param name string

@description('Log Analytics workspace for the account audit log.')
param workspaceId string

@description('Tags for every resource.')
param tags object

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'ContentSafety'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    // checkov:skip=CKV_AZURE_134: the Flex apps have no VNet integration yet; access is Entra RBAC only (no keys; see README, private networking)
    customSubDomainName: name
    publicNetworkAccess: 'Enabled'
    disableLocalAuth: true
    networkAcls: {
      defaultAction: 'Allow'
    }
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output name string = account.name
output endpoint string = account.properties.endpoint
