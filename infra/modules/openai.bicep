// One Azure OpenAI account with the chat model deployment, plus a copy of its key in Key Vault.
// The app calls the account with its managed identity; the key copy is the documented
// fallback (AZURE_OPENAI_API_KEY) and is what the nightly rotation job replaces.

@description('UK region for the account.')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Account name, also its custom subdomain (globally unique).')
param name string

@description('Model deployment name the app calls (AZURE_OPENAI_DEPLOYMENT).')
param deploymentName string

@description('Model name, for example gpt-4o-mini.')
param modelName string

@description('Model version, pinned so an automatic upgrade cannot change answers unreviewed.')
param modelVersion string

@description('Deployment SKU. Standard keeps processing in the account region (UK data residency).')
@allowed([
  'Standard'
  'GlobalStandard'
  'DataZoneStandard'
  'ProvisionedManaged'
])
param skuName string

@description('Capacity in thousands of tokens per minute (or PTUs for ProvisionedManaged).')
@minValue(1)
param capacity int

@description('Turn off key authentication. The app uses its managed identity; keys are only its fallback.')
param disableLocalAuth bool

@description('Key Vault that receives the key copy.')
param keyVaultName string

@description('Name of the Key Vault secret holding the key copy.')
param keySecretName string

@description('Expiry of the key copy, in seconds since the epoch; the rotation job moves it on.')
param keySecretExpiry int

@description('Log Analytics workspace for the account audit log.')
param workspaceId string

@description('Tags for every resource.')
param tags object

@description('Reachable only through private endpoints (privateNetworking in main.bicep).')
param privateOnly bool = false

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    // checkov:skip=CKV_AZURE_134: public access is disabled when privateOnly is set (on in production); checkov does not resolve parameters
    // checkov:skip=CKV_AZURE_236: key auth is the app's documented fallback and is rotated nightly; set disableLocalAuth to turn it off
    customSubDomainName: name
    publicNetworkAccess: privateOnly ? 'Disabled' : 'Enabled'
    disableLocalAuth: disableLocalAuth
    networkAcls: {
      defaultAction: privateOnly ? 'Deny' : 'Allow'
    }
  }
}

resource modelDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: deploymentName
  sku: {
    name: skuName
    capacity: capacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: modelName
      version: modelVersion
    }
    versionUpgradeOption: 'NoAutoUpgrade'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Keys exist even with key auth turned off, so the copy is always made; it is simply unused then.
resource keyCopy 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: keySecretName
  properties: {
    contentType: 'text/plain'
    value: account.listKeys().key1
    attributes: {
      enabled: true
      exp: keySecretExpiry
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
output id string = account.id
output endpoint string = account.properties.endpoint
